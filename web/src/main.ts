import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { startRouter } from './lib/state/router.svelte.ts';
import { session } from './lib/state/session.svelte.ts';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

startRouter();
void session.load();

export default mount(App, { target });
