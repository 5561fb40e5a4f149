// Shares shown to three decimals (a node's disk fill on the status page and in the history). Pure.
export const round3 = (v: number | null): number | null => (v === null ? null : Math.round(v * 1000) / 1000);
