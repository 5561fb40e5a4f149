// Starts a download from a link: the browser saves the answer to disk as it arrives (the gateway
// names it with Content-Disposition); the page holds nothing of it.
export function startDownload(url: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
}
