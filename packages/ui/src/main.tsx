import { render } from 'preact';
import { App } from './app';
import { applyChoice, storedChoice } from './theme';
import './style.css';

applyChoice(storedChoice());
render(<App />, document.getElementById('app')!);
