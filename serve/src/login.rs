//! The page a browser gets instead of the console while it has no token: a form
//! that posts the token to `/api/v1/login`, which sets the cookie.

pub const PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nanocap: token needed</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}
input{font:inherit;width:100%;box-sizing:border-box;padding:.4rem;margin:.5rem 0}
#msg{color:#b00020}</style></head>
<body><h1>nanocap</h1><p>This server needs its token (<code>web.token</code> in
<code>nanocap.config</code>).</p>
<form id="f"><label>Token <input id="t" type="password" autocomplete="current-password" autofocus></label>
<button>Open the console</button></form><p id="msg" role="alert"></p>
<script src="/api/v1/login.js"></script></body></html>
"#;

/// The form's script, served apart because the Content-Security-Policy forbids
/// inline scripts.
pub const SCRIPT: &str = r#"document.getElementById('f').addEventListener('submit', async (e) => {
  e.preventDefault();
  const r = await fetch('/api/v1/login', {method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({token: document.getElementById('t').value})});
  if (r.ok) { location.reload(); return; }
  const body = await r.json().catch(() => ({error: r.statusText}));
  document.getElementById('msg').textContent = body.error || 'login failed';
});
"#;
