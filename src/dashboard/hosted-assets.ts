/**
 * The hosted form's own stylesheet and script, and /embed.js: handwritten, served by the Worker,
 * nothing from a CDN. embed.js must stay under 5 KB gzipped (`npm run bench` measures it).
 */

export const FORM_CSS = `
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1b2430;background:transparent}
main{max-width:36rem;margin:0 auto;padding:1rem}
h1{font-size:1.3rem;margin:0 0 .75rem}
form{display:grid;gap:.9rem}
label{display:block;font-weight:600;margin-bottom:.2rem}
.hint{color:#4a5565;font-size:.9rem;margin:0 0 .3rem}
input[type=text],input[type=email],input[type=tel],input[type=number],textarea{width:100%;padding:.6rem;border:1px solid #8a94a3;border-radius:6px;font:inherit;min-height:2.75rem}
textarea{min-height:6rem}
input:focus-visible,textarea:focus-visible,button:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
[aria-invalid=true]{border-color:#9b1c1c;border-width:2px}
.error-text{color:#9b1c1c;font-size:.9rem;margin:.2rem 0 0}
.check{display:flex;gap:.6rem;align-items:flex-start;font-weight:400}
.check input{width:1.4rem;height:1.4rem;margin-top:.15rem;flex:none}
.consent{border:1px solid #d5dbe3;border-radius:8px;padding:.75rem;display:grid;gap:.6rem}
.consent legend{font-weight:700;padding:0 .25rem}
button{background:#0b5cad;color:#fff;border:0;border-radius:6px;padding:.75rem 1.25rem;font:inherit;font-weight:600;min-height:2.75rem;cursor:pointer}
button[disabled]{opacity:.6}
.summary{border:2px solid #9b1c1c;background:#fdecec;color:#9b1c1c;border-radius:8px;padding:.75rem}
.done{border:2px solid #14623a;background:#e8f5ee;color:#14623a;border-radius:8px;padding:1rem}
.result{font-size:1.1rem}
.result strong{font-size:1.4rem;display:block}
[hidden]{display:none!important}
.chat h2{font-size:1.1rem;margin:0 0 .4rem}
.log{list-style:none;margin:.5rem 0;padding:.5rem;display:flex;flex-direction:column;gap:.5rem;max-height:55vh;overflow-y:auto;border:1px solid #d5dbe3;border-radius:8px;background:#fff}
.msg{max-width:85%;padding:.5rem .75rem;border-radius:10px;background:#eef1f5;align-self:flex-start}
.msg p{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}
.msg .who{display:block;font-size:.8rem;font-weight:700;color:#4a5565}
.msg.patient{align-self:flex-end;background:#0b5cad;color:#fff}
.msg.patient .who{color:#dbe9f8}
.msg.sending{opacity:.7}
.say{display:grid;grid-template-columns:1fr auto;gap:.5rem;align-items:end}
.say label{grid-column:1/-1;margin:0}
.say textarea{min-height:2.75rem}
`

/**
 * The hosted form's behaviour: reads attribution (its own query, or what /embed.js passed), posts
 * the fields as JSON or multipart, shows errors by the field and in a summary (announced), tells
 * the embedding page its height. Everything it needs is in the form's data attributes.
 */
export const FORM_JS = `(function(){
var f=document.getElementById('rb-form');if(!f)return;
var q=new URLSearchParams(location.search),P=['utm_source','utm_medium','utm_campaign','utm_term','utm_content','gclid','gbraid','wbraid','fbclid'];
var K=['utmSource','utmMedium','utmCampaign','utmTerm','utmContent','gclid','gbraid','wbraid','fbclid'];
function attribution(){var a={};P.forEach(function(p,i){var v=q.get(p);if(v)a[K[i]]=v.slice(0,500)});
var l=q.get('landing')||(window.top===window?location.href:'');var r=q.get('ref')||(window.top===window?document.referrer:'');
if(/^https?:/.test(l))a.landingPage=l.slice(0,2000);if(/^https?:/.test(r))a.referrer=r.slice(0,2000);return a}
function height(){if(window.parent!==window)parent.postMessage({ringback:'height',form:f.dataset.form,height:document.documentElement.scrollHeight},'*')}
if(window.ResizeObserver)new ResizeObserver(height).observe(document.body);height();
var sum=document.getElementById('rb-summary'),done=document.getElementById('rb-done');
function clear(){f.querySelectorAll('[aria-invalid]').forEach(function(e){e.removeAttribute('aria-invalid')});f.querySelectorAll('.error-text').forEach(function(e){e.textContent='';e.hidden=true});sum.hidden=true}
function show(errors,detail){var list=document.createElement('ul');(errors||[]).forEach(function(e){var name=String(e.path||'').split('.')[0];var el=f.elements[name==='answers'?'callsPerWeek':name];var field=name==='answers'?'callsPerWeek':name,msg=document.getElementById('f-'+field+'-error'),lab=document.querySelector('label[for="f-'+field+'"]');
if(el&&el.setAttribute){el.setAttribute('aria-invalid','true')}if(msg){msg.textContent=e.message;msg.hidden=false}var li=document.createElement('li');li.textContent=(lab?lab.textContent.replace(' (required)','')+': ':'')+e.message;list.appendChild(li)});
sum.textContent=errors&&errors.length?'Please check the marked fields:':(detail||'Please check the form.');sum.appendChild(list);sum.hidden=false;sum.focus();height()}
function num(n){var v=f.elements[n];return v&&v.value!==''?Number(v.value):undefined}
f.addEventListener('submit',function(ev){ev.preventDefault();clear();var d={name:f.elements.name.value,consent:{marketing:!!(f.elements.marketing&&f.elements.marketing.checked),ads:!!(f.elements.ads&&f.elements.ads.checked)},attribution:attribution()};
['email','phone','message','treatment','preferredTime'].forEach(function(n){var e=f.elements[n];if(e&&e.value.trim())d[n]=e.value.trim()});
if(f.elements.callsPerWeek){d.answers={callsPerWeek:num('callsPerWeek'),answerRatePercent:num('answerRatePercent'),averageValuePence:Math.round((num('averageValue')||0)*100)}}
var t=f.querySelector('[name="cf-turnstile-response"]');if(t)d['cf-turnstile-response']=t.value;
var files=f.elements.photos?Array.prototype.slice.call(f.elements.photos.files):[],body,headers={};
if(files.length){body=new FormData();body.set('data',JSON.stringify(d));files.forEach(function(x){body.append('photos',x)})}else{body=JSON.stringify(d);headers['content-type']='application/json'}
var b=f.querySelector('button[type=submit]');b.disabled=true;
fetch(f.action,{method:'POST',body:body,headers:headers}).then(function(r){return r.json().then(function(j){return{ok:r.ok,j:j}})}).then(function(x){b.disabled=false;
if(!x.ok){show(x.j.errors,x.j.detail);return}f.hidden=true;if(x.j.chat){document.dispatchEvent(new CustomEvent('rb-chat',{detail:x.j.chat}));return}done.hidden=false;var res=x.j.result,out=document.getElementById('rb-result');
if(res&&out){var gbp=function(p){return '£'+Math.round(p/100).toLocaleString('en-GB')};out.innerHTML='';[['Missed calls a month',String(res.missedCallsPerMonth)],['Revenue lost to missed calls a month',gbp(res.lostRevenuePencePerMonth)],['Of which a fast text-back could win back',gbp(res.recoverableRevenuePencePerMonth)]].forEach(function(r){var p=document.createElement('p');p.className='result';p.textContent=r[0];var s=document.createElement('strong');s.textContent=r[1];p.appendChild(s);out.appendChild(p)})}
done.focus();height()}).catch(function(){b.disabled=false;show([],'We could not send that. Check your connection and try again.')})})})();`

/**
 * The web chat (a `chat` form): after the start form, a WebSocket to /f/{id}/chat with the
 * session's token (kept in sessionStorage — strictly necessary for the chat the visitor started,
 * gone when the tab closes). Messages show at once as "sending" and are resent with the same id
 * until the server acknowledges them (stored), so a dropped connection loses nothing; replies and
 * the history arrive as frames; the connection comes back with backoff. Enter sends, Shift+Enter
 * is a new line.
 */
export const CHAT_JS = `(function(){
var panel=document.getElementById('rb-chat'),f=document.getElementById('rb-form');if(!panel||!f)return;
var log=document.getElementById('rb-log'),state=document.getElementById('rb-state'),say=document.getElementById('rb-say'),text=document.getElementById('rb-text');
var key='rb-chat:'+f.dataset.form,session=null,ws=null,seen={},pending=[],tries=0,N={patient:'You',ai:'Assistant',staff:'Team',system:'Notice'};
function height(){if(window.parent!==window)parent.postMessage({ringback:'height',form:f.dataset.form,height:document.documentElement.scrollHeight},'*')}
function line(m){if(m.id){if(seen[m.id])return null;seen[m.id]=1}var li=document.createElement('li');li.className='msg '+m.author;var w=document.createElement('span');w.className='who';w.textContent=N[m.author]||'';var p=document.createElement('p');p.textContent=m.body;li.appendChild(w);li.appendChild(p);log.appendChild(li);log.scrollTop=log.scrollHeight;height();return li}
function expired(s){var e=Number(String(s.token).split('.')[1]);return !(e>Date.now())}
function load(){try{var s=JSON.parse(sessionStorage.getItem(key)||'null');return s&&!expired(s)?s:null}catch(e){return null}}
function ended(msg){sessionStorage.removeItem(key);session=null;state.textContent=msg||'This chat has ended. You can start a new one.';say.hidden=true;f.hidden=false;height()}
function send(p){if(ws&&ws.readyState===1)ws.send(JSON.stringify({type:'message',id:p.id,body:p.body}))}
function open(){if(!session)return;if(expired(session))return ended();f.hidden=true;panel.hidden=false;say.hidden=false;state.textContent='Connecting…';
ws=new WebSocket((location.protocol==='https:'?'wss:':'ws:')+'//'+location.host+'/f/'+encodeURIComponent(f.dataset.form)+'/chat?token='+encodeURIComponent(session.token));
ws.onopen=function(){tries=0;state.textContent='';ws.send(JSON.stringify({type:'hello'}));pending.forEach(send)};
ws.onmessage=function(e){var d;try{d=JSON.parse(e.data)}catch(x){return}
if(d.type==='history')d.messages.forEach(line);else if(d.type==='message')line(d.message);
else if(d.type==='ack')pending=pending.filter(function(p){if(p.id!==d.id)return true;seen[d.messageId]=1;p.el.classList.remove('sending');p.el.firstChild.textContent='You';return false});
else if(d.type==='error')state.textContent=d.message;height()};
ws.onclose=function(e){ws=null;if(e.code===4410)return ended();state.textContent='Reconnecting…';setTimeout(open,Math.min(30000,1000*Math.pow(2,tries++)))}}
say.addEventListener('submit',function(ev){ev.preventDefault();var b=text.value.trim();if(!b)return;if(b.length>1000){state.textContent='Up to 1,000 characters, please.';return}
var p={id:'m'+Date.now().toString(36)+Math.random().toString(36).slice(2,10),body:b};p.el=line({author:'patient',body:b});p.el.classList.add('sending');p.el.firstChild.textContent='You (sending…)';pending.push(p);send(p);text.value='';text.focus()});
text.addEventListener('keydown',function(e){if(e.key==='Enter'&&!e.shiftKey){e.preventDefault();say.requestSubmit()}});
document.addEventListener('rb-chat',function(e){session=e.detail;try{sessionStorage.setItem(key,JSON.stringify(session))}catch(x){}open();text.focus()});
session=load();if(session)open()})();`

/**
 * The loader a clinic pastes: finds its own <script data-form>, frames the hosted form with the
 * host page's UTMs, click ids, landing page and referrer in the frame's URL, and resizes the
 * frame to the height the form reports (only messages from the form's own origin count).
 */
export const EMBED_JS = `(function(){var s=document.currentScript;if(!s||!s.dataset.form)return;var o=new URL(s.src).origin,id=s.dataset.form,q=new URLSearchParams(location.search),u=new URLSearchParams();
['utm_source','utm_medium','utm_campaign','utm_term','utm_content','gclid','gbraid','wbraid','fbclid'].forEach(function(p){var v=q.get(p);if(v)u.set(p,v.slice(0,500))});
u.set('landing',location.href.slice(0,2000));if(document.referrer)u.set('ref',document.referrer.slice(0,2000));
var f=document.createElement('iframe');f.src=o+'/f/'+encodeURIComponent(id)+'?'+u;f.title=s.dataset.title||'Contact form';f.loading='lazy';f.style.cssText='width:100%;border:0;min-height:480px;display:block';
window.addEventListener('message',function(e){if(e.origin===o&&e.source===f.contentWindow&&e.data&&e.data.ringback==='height'&&e.data.form===id)f.style.height=Math.min(Math.max(e.data.height,200),6000)+'px'});
s.parentNode.insertBefore(f,s.nextSibling)})();`
