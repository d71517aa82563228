/** The playground's HTML shell (./page.ts fills in the two model panels). */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Regulab playground</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 16px; color: #222; }
  textarea { width: 100%; height: 90px; font: 12px monospace; }
  .models { display: flex; gap: 16px; flex-wrap: wrap; }
  .model { border: 1px solid #ccc; border-radius: 6px; padding: 8px 12px; flex: 1 1 480px; }
  .model h2 { font-size: 16px; margin: 4px 0; }
  .rates input { width: 4.5em; }
  table.numbers { border-collapse: collapse; margin: 6px 0; }
  table.numbers td, table.numbers th { padding: 2px 8px; text-align: right; border-bottom: 1px solid #eee; }
  pre.sampled { white-space: pre-wrap; background: #f6f6f6; padding: 6px; min-height: 3em; }
  .status { color: #666; font-size: 12px; }
</style>
</head>
<body>
<h1>Regulab playground</h1>
<p>Train two small character LSTMs side by side, each in its own Web Worker, with Regulab's
WebAssembly kernels: pick or paste a text, choose a regularizer and its rates for each model, and
watch training and validation bits per character (last 10&nbsp;% of the text held out).</p>
<p><label>Text: <select id="preset"></select></label>
<label>Steps: <input id="steps" type="number" value="300" min="1" style="width:5em"></label>
<label>Units: <select id="units"><option>32</option><option selected>64</option><option>128</option></select></label>
<label>Validate every: <input id="every" type="number" value="20" min="1" style="width:4em"></label>
<button id="start">Train both</button> <span id="status" class="status"></span></p>
<textarea id="text" spellcheck="false"></textarea>
<div class="models" id="models"></div>
<script type="module" src="./page.js"></script>
</body>
</html>
`;
