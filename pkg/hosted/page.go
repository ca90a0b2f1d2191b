package hosted

import (
	"html"
	"strings"
)

// The hosted page: one self-contained HTML document in Chinese and English, with its CSS
// and script inline under a Content-Security-Policy that admits only this response's
// nonce (no third-party asset, no other script, no framing). The script posts to the
// page's own path + "/code" and "/confirm", so it works under any base path (an API
// Gateway stage) without knowing it, and follows the redirect the confirmation answers.

// CSP is the page's Content-Security-Policy for nonce.
func CSP(nonce string) string {
	return "default-src 'none'; script-src 'nonce-" + nonce + "'; style-src 'nonce-" + nonce + "'; connect-src 'self'; " +
		"img-src 'none'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
}

// Nonce is a fresh CSP nonce (128 bits).
func Nonce() (string, error) { return randomString(16) }

const pageStyle = `body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#f5f6f8;color:#1d2129}
main{max-width:28rem;margin:0 auto;padding:1.5rem 1rem}
h1{font-size:1.3rem;margin:0 0 1rem}
.card{background:#fff;border-radius:.75rem;padding:1.25rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
dl{display:grid;grid-template-columns:auto 1fr;gap:.4rem 1rem;margin:0 0 1rem}
dt{color:#4e5969}dd{margin:0;font-weight:600;word-break:break-all}
label{display:block;margin:.75rem 0 .25rem}
input{box-sizing:border-box;width:100%;font-size:1.2rem;padding:.6rem;border:1px solid #c9cdd4;border-radius:.5rem;letter-spacing:.2em}
button{box-sizing:border-box;width:100%;font-size:1rem;padding:.75rem;margin-top:.75rem;border:0;border-radius:.5rem;background:#165dff;color:#fff}
button.secondary{background:#e8f3ff;color:#165dff}
button:disabled{opacity:.5}
#msg{min-height:1.5rem;margin-top:.75rem;color:#4e5969}#msg.err{color:#cb2634}
p.note{font-size:.85rem;color:#86909c}`

// Page is the verification page of v.
func Page(v PageView, nonce string) []byte {
	var b strings.Builder
	head(&b, nonce, "实名认证 · Identity verification")
	b.WriteString(`<main><h1>实名认证 <small>Identity verification</small></h1><div class="card"><dl>`)
	b.WriteString(`<dt>姓名 Name</dt><dd id="name">` + html.EscapeString(v.Name) + `</dd>`)
	b.WriteString(`<dt>身份证号 ID</dt><dd id="idnum">` + html.EscapeString(v.IDNumber) + `</dd>`)
	b.WriteString(`<dt>手机号 Mobile</dt><dd id="mobile">` + html.EscapeString(v.Mobile) + `</dd></dl>`)
	b.WriteString(`<button type="button" id="send" class="secondary">发送验证码 Send code</button>`)
	b.WriteString(`<label for="code">短信验证码 SMS code</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" pattern="[0-9]{6}">`)
	b.WriteString(`<button type="button" id="confirm">确认 Confirm</button><div id="msg" role="status" aria-live="polite"></div>`)
	b.WriteString(`<p class="note">链接24小时内有效，仅可使用一次。This link works once, within 24 hours.</p></div></main>`)
	b.WriteString(`<script nonce="` + nonce + `">` + pageScript + `</script></body></html>`)
	return []byte(b.String())
}

// The script: two buttons, each one POST; answers are the API envelope.
const pageScript = `(function(){
var base=location.pathname.replace(/\/+$/,'');
var msg=document.getElementById('msg'),send=document.getElementById('send'),confirmB=document.getElementById('confirm'),code=document.getElementById('code');
function say(t,err){msg.textContent=t;msg.className=err?'err':'';}
function post(p,body){return fetch(base+p,{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify(body||{}),credentials:'omit',cache:'no-store'}).then(function(r){return r.json().then(function(j){return {status:r.status,body:j};});});}
send.addEventListener('click',function(){send.disabled=true;post('/code').then(function(r){
 if(r.status===200){say('验证码已发送 Code sent');setTimeout(function(){send.disabled=false;},60000);}
 else{say((r.body&&r.body.msg)||'错误 Error',true);send.disabled=false;}
},function(){say('网络错误 Network error',true);send.disabled=false;});});
confirmB.addEventListener('click',function(){var c=code.value.trim();if(!/^[0-9]{6}$/.test(c)){say('请输入6位验证码 Enter the 6-digit code',true);return;}
 confirmB.disabled=true;post('/confirm',{code:c}).then(function(r){
 var d=r.body&&r.body.data;
 if(d&&d.redirect){say(d.status==='VERIFIED'?'认证成功 Verified':'认证失败 Verification failed',d.status!=='VERIFIED');location.assign(d.redirect);return;}
 say((r.body&&r.body.msg)||'错误 Error',true);confirmB.disabled=false;
},function(){say('网络错误 Network error',true);confirmB.disabled=false;});});
})();`

// Gone is the page of a used or expired link (410).
func Gone(nonce string) []byte {
	return message(nonce, "链接已失效 Link no longer valid",
		"此认证链接已使用或已过期，请回到原应用重新发起。This verification link has been used or has expired; start again from the app that sent you.")
}

// Unknown is the page of a link that does not exist (404).
func Unknown(nonce string) []byte {
	return message(nonce, "链接无效 Link not found", "找不到此认证链接，请检查链接是否完整。This verification link does not exist; check that it is complete.")
}

// Unavailable is the page of an error on our side (5xx).
func Unavailable(nonce string) []byte {
	return message(nonce, "暂时无法访问 Temporarily unavailable", "请稍后重试。Please try again later.")
}

func message(nonce, title, text string) []byte {
	var b strings.Builder
	head(&b, nonce, title)
	b.WriteString(`<main><h1>` + html.EscapeString(title) + `</h1><div class="card"><p id="message">` + html.EscapeString(text) + `</p></div></main></body></html>`)
	return []byte(b.String())
}

func head(b *strings.Builder, nonce, title string) {
	b.WriteString(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`)
	b.WriteString(`<meta name="referrer" content="no-referrer"><title>` + html.EscapeString(title) + `</title>`)
	b.WriteString(`<style nonce="` + nonce + `">` + pageStyle + `</style></head><body>`)
}
