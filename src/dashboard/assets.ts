/**
 * The dashboard's only static assets, handwritten and served by the Worker from /assets/* (no CDN):
 * one stylesheet and one tiny script (the text-back live preview). Inline styles and scripts are
 * forbidden by the CSP, so everything visual lives here.
 */

export const APP_CSS = `
:root{--ink:#1b2430;--muted:#4a5565;--line:#d5dbe3;--bg:#f5f7fa;--card:#fff;--brand:#0b5cad;--brand-ink:#fff;
--missed:#b4232a;--recovered:#1a7f4b;--revenue:#0b5cad;--warn-bg:#fff4e5;--warn:#7a4100;--ok-bg:#e8f5ee;--ok:#14623a;
--err-bg:#fdecec;--err:#9b1c1c;--focus:#f59e0b;font-size:100%}
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--ink);background:var(--bg)}
a{color:var(--brand)}
a:hover{text-decoration-thickness:2px}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip-link{position:absolute;left:.5rem;top:-3rem;background:var(--ink);color:#fff;padding:.5rem 1rem;border-radius:4px;z-index:10}
.skip-link:focus{top:.5rem}
.visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.topbar{background:var(--ink);color:#fff}
.topbar-inner{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between;max-width:72rem;margin:0 auto;padding:.6rem 1rem}
.brand{color:#fff;font-weight:700;text-decoration:none;font-size:1.1rem}
.who{display:flex;gap:.75rem;align-items:center;font-size:.9rem}
.who form{margin:0}
.link-button{background:none;border:1px solid #fff;color:#fff;border-radius:4px;padding:.2rem .6rem;font:inherit;cursor:pointer}
nav.main-nav{background:#fff;border-bottom:1px solid var(--line)}
nav.main-nav ul{list-style:none;margin:0 auto;padding:0 .5rem;display:flex;flex-wrap:wrap;gap:0 .25rem;max-width:72rem}
nav.main-nav a{display:block;padding:.7rem .6rem;color:var(--ink);text-decoration:none;white-space:nowrap;border-bottom:3px solid transparent}
nav.main-nav a[aria-current=page]{border-bottom-color:var(--brand);font-weight:600}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem}
h2{font-size:1.2rem;margin:1.5rem 0 .75rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1rem;margin-bottom:1rem}
.card>h2:first-child{margin-top:0}
fieldset{display:grid;gap:.9rem;min-width:0}
fieldset.card{padding-top:.5rem}
legend{font-weight:700;padding:0 .25rem}
.stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(10rem,1fr));gap:.75rem;margin:0 0 1rem;padding:0}
.stat{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.75rem;margin:0}
.stat dt{color:var(--muted);font-size:.85rem}
.stat dd{margin:0;font-size:1.4rem;font-weight:700}
.period{display:grid;gap:1rem;grid-template-columns:1fr}
@media (min-width:56rem){.period{grid-template-columns:1fr 1fr}}
.chart{margin:0 0 1rem;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1rem}
.chart figcaption{font-weight:600;margin-bottom:.5rem}
.chart-scroll{overflow-x:auto}
.chart-scroll.from-end{direction:rtl}.chart-scroll.from-end>*{direction:ltr}
.chart svg{width:100%;min-width:34rem;height:auto;display:block}
.chart .grid{stroke:#e3e7ed;stroke-width:1}
.chart .axis{fill:#4a5565;font-size:14px}
.bar-missed{fill:var(--missed)}.bar-recovered{fill:var(--recovered)}.bar-revenue{fill:var(--revenue)}
.legend{display:flex;gap:1rem;list-style:none;padding:0;margin:.5rem 0}
.swatch{display:inline-block;width:.9rem;height:.9rem;border-radius:2px;vertical-align:-.1rem}
.swatch-missed{background:var(--missed)}.swatch-recovered{background:var(--recovered)}
details summary{cursor:pointer;color:var(--brand);margin:.25rem 0}
.table-wrap{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{text-align:left;padding:.5rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
thead th{background:#eef1f5;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:0 .5rem;border-radius:999px;font-size:.8rem;font-weight:600;border:1px solid currentColor}
.badge-missed,.badge-voicemail{color:var(--missed)}.badge-answered,.badge-recovered{color:var(--recovered)}
.badge-ringing,.badge-unattributed,.badge-neutral{color:var(--muted)}
form.stack{display:grid;gap:.9rem;max-width:32rem}
form.inline{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end}
.field{display:grid;gap:.25rem}
label{font-weight:600}
.hint{color:var(--muted);font-size:.875rem;margin:0}
input[type=text],input[type=email],input[type=password],input[type=number],input[type=tel],input[type=date],input[type=datetime-local],select,textarea{font:inherit;padding:.5rem .6rem;border:1px solid #8a94a3;border-radius:4px;background:#fff;color:var(--ink);width:100%;min-height:2.5rem}
textarea{min-height:5rem}
.checkbox{display:flex;gap:.5rem;align-items:center;font-weight:400}
.checkbox input{width:1.2rem;height:1.2rem}
button,.button{font:inherit;font-weight:600;background:var(--brand);color:var(--brand-ink);border:0;border-radius:4px;padding:.55rem 1rem;cursor:pointer;text-decoration:none;display:inline-block;min-height:2.5rem}
button.secondary{background:#fff;color:var(--brand);border:1px solid var(--brand)}
.error-text{color:var(--err);font-size:.9rem;margin:0}
[aria-invalid=true]{border-color:var(--err)!important;border-width:2px!important}
.alert{border-radius:6px;padding:.75rem 1rem;margin:0 0 1rem;border:1px solid}
.alert-error{background:var(--err-bg);color:var(--err)}
.alert-ok{background:var(--ok-bg);color:var(--ok)}
.alert-warn{background:var(--warn-bg);color:var(--warn)}
.secret{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all;background:#fff;border:1px dashed var(--ink);padding:.5rem;display:block}
code{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
.preview{display:block;background:#e9f1fb;border-radius:12px;padding:.75rem 1rem;max-width:24rem;white-space:pre-wrap;margin-top:.25rem}
.pager{display:flex;gap:1rem;margin:1rem 0}
.auth{max-width:26rem;margin:2rem auto;padding:0 1rem}
.auth .card{padding:1.5rem}
.muted{color:var(--muted)}
.explanation{font-size:1.05rem;max-width:48rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1rem}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;overflow-wrap:anywhere;min-width:0}
@media (max-width:40rem){nav.main-nav ul{flex-wrap:wrap;overflow-x:visible;padding:.25rem .5rem}nav.main-nav a{padding:.45rem .5rem}
h1{font-size:1.35rem}main{padding:.75rem}.stat dd{font-size:1.2rem}
table.responsive thead{display:none}table.responsive tr{display:block;border-bottom:1px solid var(--line);padding:.4rem 0}
table.responsive td,table.responsive th{display:flex;gap:.5rem;justify-content:space-between;border:0;padding:.2rem .6rem;text-align:right}
table.responsive td::before,table.responsive th[data-label]::before{content:attr(data-label);font-weight:600;color:var(--muted);text-align:left}}
@media (prefers-reduced-motion:reduce){*{transition:none!important}}
.snippet{display:block;white-space:pre-wrap;word-break:break-all;font-size:.85rem;background:var(--bg);padding:.4rem;border-radius:4px;max-width:28rem}
.form-preview{width:100%;min-height:36rem;border:1px solid var(--line);border-radius:8px;background:#fff}
.photos{list-style:none;display:flex;flex-wrap:wrap;gap:.75rem;padding:0;margin:.75rem 0 0}
.photos img{display:block;width:10rem;height:10rem;object-fit:cover;border-radius:6px;border:1px solid var(--line)}
.enquiry h3{font-size:1rem;margin:.75rem 0 .25rem}
.timeline{margin:0;padding-left:1.25rem}
@media (max-width:40rem){.facts{grid-template-columns:1fr}.facts dd{margin-bottom:.5rem}}
`

/**
 * Progressive enhancement only: the page works without it. Mirrors `renderTextBack()` in
 * format.ts — `{clinic}` becomes the clinic's name in the preview.
 */
export const APP_JS = `(function(){
var t=document.getElementById('text-back-template'),p=document.getElementById('text-back-preview');
if(!t||!p)return;var name=p.getAttribute('data-clinic')||'';
function u(){p.textContent=t.value.split('{clinic}').join(name)}
t.addEventListener('input',u);u();
})();`

/** The tab icon: a phone handset with a return arrow, in the brand colour (served as SVG). */
export const APP_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0b5cad"/><path fill="#fff" d="M11.6 7.5l2.3 4.4-1.9 1.9a12 12 0 0 0 6.2 6.2l1.9-1.9 4.4 2.3-.8 3.5c-.2.7-.8 1.1-1.5 1.1C13.6 25 7 18.4 7 9.8c0-.7.4-1.3 1.1-1.5z"/><path fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" d="M19 6.5h5.5V12M24.5 6.5L18 13"/></svg>`
