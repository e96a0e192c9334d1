//! The report's only style and script, inline (no network, no external file). The
//! page's Content-Security-Policy allows this script by its hash and nothing else,
//! so even a log line that escaped escaping could not run.

/// The style sheet.
pub const CSS: &str = r#"
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa;--red:#b42318;--amber:#9a6700;--green:#1a7f37;--grey:#6e7781}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:0 24px 48px}
header{border-bottom:1px solid var(--line);padding:16px 0 8px;margin-bottom:12px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}h3{font-size:15px;margin:16px 0 6px;word-break:break-all}
code,.mono,td.path{font-family:ui-monospace,SFMono-Regular,Consolas,monospace;font-size:12.5px}
td.path,.path{word-break:break-all}
.meta{color:var(--muted);margin:2px 0}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--soft)}
section.ticket{content-visibility:auto;contain-intrinsic-size:auto 900px}
table.sortable th{cursor:pointer;user-select:none}
table.sortable th::after{content:" \2195";color:var(--muted);font-size:11px}
tr:nth-child(even) td{background:#fbfcfd}
.v-write-protected,.v-write-denied,.v-unrepairable{color:var(--red);font-weight:600}
.v-blocked,.v-read-denied,.v-selected{color:var(--amber);font-weight:600}
.v-recovered{color:var(--green)}.v-by-design{color:var(--grey)}
.status-failed{color:var(--red);font-weight:600}.status-skipped{color:var(--grey)}
section.finding{border:1px solid var(--line);border-radius:6px;padding:8px 12px;margin:10px 0}
section.finding ul{margin:4px 0 4px 18px;padding:0}
.factors span{display:inline-block;background:var(--soft);border:1px solid var(--line);border-radius:10px;padding:0 8px;margin:2px 4px 2px 0;font-size:12px}
#filter{font-size:14px;padding:6px 10px;width:min(520px,100%);border:1px solid var(--line);border-radius:6px}
.toolbar{position:sticky;top:0;background:var(--bg);padding:8px 0;z-index:2;border-bottom:1px solid var(--line)}
.note{color:var(--muted)}
details summary{cursor:pointer}
"#;

/// The script: sortable tables (click a header), a filter box, and the same two from
/// the page's address (`#sort=<table id>:<column>:asc|desc&filter=<text>`), so a link
/// (or a test) can open the report sorted and filtered. When it has run it marks the
/// body `data-ready` and `data-ready-ms` (milliseconds since navigation: how long the
/// page took to open, read by `benches/compare_batch.sh`).
pub const JS: &str = r#"(function(){
function key(td){var v=td.getAttribute('data-v');if(v===null)v=td.textContent;var t=v.trim();if(/^-?\d+(\.\d+)?$/.test(t))return parseFloat(t);return t.toLowerCase();}
function sortTable(t,col,asc){var b=t.tBodies[0];if(!b)return;var rows=Array.prototype.slice.call(b.rows);rows.sort(function(x,y){var a=key(x.cells[col]),c=key(y.cells[col]);if(typeof a!==typeof c){a=String(a);c=String(c);}if(a<c)return asc?-1:1;if(a>c)return asc?1:-1;return 0;});rows.forEach(function(r){b.appendChild(r);});t.setAttribute('data-sorted',col+(asc?':asc':':desc'));}
Array.prototype.forEach.call(document.querySelectorAll('table.sortable'),function(t){var ths=t.tHead.rows[0].cells;Array.prototype.forEach.call(ths,function(th,i){th.addEventListener('click',function(){sortTable(t,i,t.getAttribute('data-sorted')!==i+':asc');});});});
function filter(q){q=q.toLowerCase();Array.prototype.forEach.call(document.querySelectorAll('table.filterable tbody tr, section.finding'),function(r){var hide=q!==''&&r.textContent.toLowerCase().indexOf(q)<0;if(hide)r.setAttribute('hidden','');else r.removeAttribute('hidden');});}
var box=document.getElementById('filter');if(box)box.addEventListener('input',function(){filter(box.value);});
var h=new URLSearchParams(location.hash.slice(1));var s=h.get('sort');if(s){var p=s.split(':');var t=document.getElementById(p[0]);if(t)sortTable(t,parseInt(p[1],10),p[2]!=='desc');}
var f=h.get('filter');if(f!==null){if(box)box.value=f;filter(f);}
document.body.setAttribute('data-ready','1');
document.body.setAttribute('data-ready-ms',String(Math.round(performance.now())));
})();"#;
