// The web console's entry point (bundled by build.mjs into dist/console/console.js).
import { render } from 'preact';
import { App } from './app.js';
import './styles.css';

render(<App />, document.getElementById('app')!);
