/**
 * The playground page: two model panels (regularizer, rates, live chart of train/validation bits
 * per character, numbers, samples), each driving its own ./trainer-worker.ts. Texts to pick come
 * from texts.json (written by ./build.ts). `?autostart&steps=N&every=N&units=N` starts at once
 * (the headless test uses it); the page keeps its state in globalThis.__playground for tests.
 */
import { drawChart } from './chart.js';
import { DEFAULT_RATES, type FromWorker, REGULARIZERS, type Regularizer, type ToWorker } from './protocol.js';

interface Panel {
  worker: Worker | null;
  regularizer: HTMLSelectElement;
  rates: HTMLElement;
  canvas: HTMLCanvasElement;
  numbers: HTMLTableSectionElement;
  sampled: HTMLElement;
  status: HTMLElement;
  points: { step: number; train: number; valid: number | null; msPerStep: number }[];
  steps: number;
  done: boolean;
  error: string | null;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const query = new URLSearchParams(location.search);
const COLORS = { train: '#1f77b4', valid: '#ff7f0e' };

function rateInputs(panel: Panel): void {
  const names = REGULARIZERS[panel.regularizer.value as Regularizer];
  panel.rates.innerHTML = names.length ? '' : 'no regularizer';
  for (const n of names) {
    const label = document.createElement('label');
    label.textContent = `${n} `;
    const input = document.createElement('input');
    Object.assign(input, {
      type: 'number',
      min: '0',
      max: '0.95',
      step: '0.05',
      value: String(DEFAULT_RATES[n]),
    });
    input.dataset.rate = n;
    label.append(input, ' ');
    panel.rates.append(label);
  }
}

function makePanel(name: string, regularizer: Regularizer): Panel {
  const box = document.createElement('div');
  box.className = 'model';
  box.innerHTML = `<h2>${name}</h2>
    <label>Regularizer <select class="reg">${Object.keys(REGULARIZERS)
      .map((r) => `<option${r === regularizer ? ' selected' : ''}>${r}</option>`)
      .join('')}</select></label> <span class="rates"></span>
    <div><canvas width="520" height="240"></canvas></div>
    <div class="status"></div>
    <table class="numbers"><thead><tr><th>step</th><th>train bpc</th><th>valid bpc</th><th>ms/step</th></tr></thead><tbody></tbody></table>
    <button class="sample">Sample 200 characters</button><pre class="sampled"></pre>`;
  $('models').append(box);
  const panel: Panel = {
    worker: null,
    regularizer: box.querySelector('select.reg')!,
    rates: box.querySelector('.rates')!,
    canvas: box.querySelector('canvas')!,
    numbers: box.querySelector('tbody')!,
    sampled: box.querySelector('pre.sampled')!,
    status: box.querySelector('.status')!,
    points: [],
    steps: 0,
    done: false,
    error: null,
  };
  panel.regularizer.onchange = () => rateInputs(panel);
  rateInputs(panel);
  (box.querySelector('button.sample') as HTMLButtonElement).onclick = () =>
    panel.worker?.postMessage({ type: 'sample', length: 200, temperature: 0.8 } satisfies ToWorker);
  return panel;
}

function redraw(p: Panel): void {
  drawChart(
    p.canvas,
    [
      { label: 'train', color: COLORS.train, points: p.points.map((q) => ({ x: q.step, y: q.train })) },
      {
        label: 'valid',
        color: COLORS.valid,
        points: p.points.filter((q) => q.valid !== null).map((q) => ({ x: q.step, y: q.valid! })),
      },
    ],
    p.steps,
  );
}

function start(panels: Panel[], text: string): void {
  const steps = Number(query.get('steps') ?? ($('steps') as HTMLInputElement).value);
  const evalEvery = Number(query.get('every') ?? ($('every') as HTMLInputElement).value);
  const units = Number(query.get('units') ?? ($('units') as HTMLSelectElement).value);
  panels.forEach((p, i) => {
    p.worker?.terminate();
    Object.assign(p, { points: [], steps, done: false, error: null });
    p.numbers.innerHTML = '';
    p.sampled.textContent = '';
    redraw(p);
    const rates = Object.fromEntries(
      Array.from(p.rates.querySelectorAll('input')).map((inp) => [inp.dataset.rate!, Number(inp.value)]),
    );
    const worker = new Worker('./trainer-worker.js', { type: 'module' });
    p.worker = worker;
    worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      if (m.type === 'ready') p.status.textContent = `${m.vocab} characters; kernels: ${m.kernels}`;
      else if (m.type === 'point') {
        p.points.push(m);
        const row = p.numbers.insertRow(0);
        for (const v of [m.step, m.train.toFixed(3), m.valid?.toFixed(3) ?? '', m.msPerStep.toFixed(0)])
          row.insertCell().textContent = String(v);
        redraw(p);
      } else if (m.type === 'sample') p.sampled.textContent = m.text;
      else if (m.type === 'done') p.done = true;
      else p.error = p.status.textContent = `error: ${m.message}`;
    };
    worker.onerror = (e) => (p.error = p.status.textContent = `worker error: ${e.message}`);
    worker.postMessage({
      type: 'train',
      config: {
        text,
        regularizer: p.regularizer.value as Regularizer,
        rates,
        units,
        seqLength: 32,
        batch: 16,
        learningRate: 0.01,
        steps,
        evalEvery,
        seed: 1 + i,
      },
    } satisfies ToWorker);
  });
  $('status').textContent = globalThis.crossOriginIsolated
    ? 'cross-origin isolated: the kernels use 2 threads per model'
    : 'not cross-origin isolated: the kernels use 1 thread per model';
}

async function main(): Promise<void> {
  const texts = (await (await fetch('./texts.json')).json()) as Record<string, string>;
  const preset = $('preset') as HTMLSelectElement;
  preset.innerHTML = Object.keys(texts)
    .map((n) => `<option>${n}</option>`)
    .join('');
  const area = $('text') as HTMLTextAreaElement;
  area.value = Object.values(texts)[0] ?? '';
  preset.onchange = () => (area.value = texts[preset.value] ?? '');
  const panels = [makePanel('Model A', 'none'), makePanel('Model B', 'zoneout')];
  panels.forEach(redraw);
  ($('start') as HTMLButtonElement).onclick = () => start(panels, area.value);
  (globalThis as { __playground?: unknown }).__playground = panels;
  if (query.has('autostart')) start(panels, area.value);
}

void main();
