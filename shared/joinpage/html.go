package joinpage

// pageHTML is the one template of the page: the key form, or the offer once the key works. No script, no
// outside asset; the style is inline (the Content-Security-Policy allows nothing else).
const pageHTML = `<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.T "page.title"}}</title>
<style>
:root { color-scheme: light dark; --accent: #1f6feb; }
body { font: 17px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; margin: 0;
  background: Canvas; color: CanvasText; }
main { max-width: 34rem; margin: 3rem auto; padding: 0 1.25rem; }
header { display: flex; justify-content: space-between; align-items: baseline; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; }
.brand { font-weight: 700; letter-spacing: .02em; color: var(--accent); }
label { display: block; font-weight: 600; margin: 1rem 0 .3rem; }
input[type=text] { font: inherit; font-size: 1.6rem; letter-spacing: .12em; width: 100%; box-sizing: border-box;
  padding: .4rem .6rem; border: 2px solid #8a8f98; border-radius: .4rem; }
input[type=text]:focus { outline: 3px solid var(--accent); outline-offset: 1px; }
button, .button { font: inherit; font-weight: 600; display: inline-block; margin-top: 1rem; padding: .6rem 1.2rem;
  border: 0; border-radius: .4rem; background: var(--accent); color: #fff; text-decoration: none; cursor: pointer; }
.secondary { background: transparent; color: var(--accent); border: 2px solid var(--accent); }
.error { border-left: 4px solid #d1242f; padding: .4rem .8rem; background: rgba(209,36,47,.08); }
.note { color: GrayText; font-size: .95rem; }
.key { font-size: 1.3rem; font-weight: 700; letter-spacing: .08em; }
section { margin-top: 2rem; }
ol { padding-left: 1.3rem; }
form.inline { display: inline; }
</style>
</head>
<body>
<main>
<header><span class="brand">Tandem</span><a href="/?hl={{.OtherLang}}" hreflang="{{.OtherLang}}" lang="{{.OtherLang}}">{{.OtherName}}</a></header>
{{if .Ready}}
<h1>{{.T "page.ready_title"}}</h1>
<p>{{.ReadyText}}</p>
{{if .Best.ID}}
<form method="post" action="/download">
<input type="hidden" name="key" value="{{.Key}}"><input type="hidden" name="hl" value="{{.Lang}}">
<input type="hidden" name="file" value="{{.Best.ID}}">
<button type="submit">{{.Download}}</button> <span class="note">{{.Best.Size}}</span>
</form>
<p>{{.Best.Steps}}</p>
{{end}}
{{with .Note}}<p class="error">{{.}}</p>{{end}}
<section>
<h2>{{.T "page.open_title"}}</h2>
<p><a class="button secondary" href="{{.Link}}">{{.T "page.open"}}</a></p>
</section>
{{if .Others}}
<section>
<h2>{{.T "page.other"}}</h2>
<ul>
{{range .Others}}<li><form class="inline" method="post" action="/download">
<input type="hidden" name="key" value="{{$.Key}}"><input type="hidden" name="hl" value="{{$.Lang}}">
<input type="hidden" name="file" value="{{.ID}}">
<button type="submit" class="secondary">{{.System}}</button> <span class="note">{{.Size}}</span></form></li>
{{end}}</ul>
</section>
{{end}}
<p class="note">{{.T "page.privacy"}}</p>
<p><a href="/?hl={{.Lang}}">{{.T "page.other_key"}}</a></p>
{{else}}
<h1>{{.T "page.title"}}</h1>
<p>{{.T "page.intro"}}</p>
{{with .Error}}<p class="error" role="alert">{{.}}</p>{{end}}
<form method="post" action="/join">
<input type="hidden" name="hl" value="{{.Lang}}">
<label for="key">{{.T "page.key"}}</label>
<input type="text" id="key" name="key" value="{{.Typed}}" inputmode="numeric" autocomplete="off" autofocus required
  maxlength="40" placeholder="123 456 789">
<button type="submit">{{.T "page.continue"}}</button>
</form>
<p class="note">{{.T "page.privacy"}}</p>
{{end}}
</main>
</body>
</html>
`
