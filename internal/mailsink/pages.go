package mailsink

import (
	"encoding/json"
	"html/template"
	"net/http"
	"slices"
	"strings"
)

// Handler serves the mailbox: GET / (HTML list), GET /{id} (one message),
// GET /{id}/raw and the JSON list. Mount it under /dev/mail.
func (s *Sink) Handler(prefix string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+prefix, s.list(prefix))
	mux.HandleFunc("GET "+prefix+".json", s.listJSON)
	mux.HandleFunc("GET "+prefix+"/{id}", s.show(prefix))
	mux.HandleFunc("GET "+prefix+"/{id}/raw", s.raw)
	return mux
}

func (s *Sink) listJSON(w http.ResponseWriter, _ *http.Request) {
	msgs := s.Messages()
	slices.Reverse(msgs)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"objects": msgs, "totalCount": len(msgs)}) //nolint:errcheck
}

func (s *Sink) list(prefix string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		msgs := s.Messages()
		slices.Reverse(msgs)
		render(w, listPage, map[string]any{"Prefix": prefix, "Messages": msgs, "SMTP": s.addr})
	}
}

func (s *Sink) show(prefix string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		m, ok := s.lookup(r)
		if !ok {
			http.NotFound(w, r)
			return
		}
		render(w, showPage, map[string]any{"Prefix": prefix, "M": m, "HTML": m.HTML})
	}
}

func (s *Sink) raw(w http.ResponseWriter, r *http.Request) {
	m, ok := s.lookup(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(m.Raw)) //nolint:errcheck
}

func (s *Sink) lookup(r *http.Request) (Message, bool) {
	id, ok := ParseID(r.PathValue("id"))
	if !ok {
		return Message{}, false
	}
	return s.Message(id)
}

func render(w http.ResponseWriter, t *template.Template, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// Mail HTML is shown in a sandboxed iframe; nothing else may run here.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'")
	if err := t.Execute(w, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

var funcs = template.FuncMap{"join": strings.Join}

const style = `<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left;vertical-align:top}pre{white-space:pre-wrap;background:#f6f6f6;padding:1em}
iframe{width:100%;height:480px;border:1px solid #ddd}.muted{color:#777}</style>`

var listPage = template.Must(template.New("list").Funcs(funcs).Parse(`<!doctype html><html><head><meta charset="utf-8">
<title>Gatehouse dev mail</title>` + style + `</head><body>
<h1>Dev mailbox</h1><p class="muted">SMTP sink on {{.SMTP}}: every message Gatehouse sent while GATEHOUSE_SMTP_URL is unset. Newest first. <a href="{{.Prefix}}.json">JSON</a></p>
{{if not .Messages}}<p>No messages yet.</p>{{else}}<table><tr><th>#</th><th>Received (UTC)</th><th>To</th><th>Subject</th><th>Parts</th></tr>
{{range .Messages}}<tr><td>{{.ID}}</td><td>{{.ReceivedAt.Format "2006-01-02 15:04:05"}}</td><td>{{join .To ", "}}</td>
<td><a href="{{$.Prefix}}/{{.ID}}">{{if .Subject}}{{.Subject}}{{else}}(no subject){{end}}</a></td>
<td class="muted">{{range .Parts}}{{.MediaType}} {{end}}</td></tr>{{end}}</table>{{end}}
</body></html>`))

var showPage = template.Must(template.New("show").Funcs(funcs).Parse(`<!doctype html><html><head><meta charset="utf-8">
<title>{{.M.Subject}}</title>` + style + `</head><body>
<p><a href="{{.Prefix}}">&larr; mailbox</a> · <a href="{{.Prefix}}/{{.M.ID}}/raw">raw</a></p>
<h1>{{.M.Subject}}</h1>
<table><tr><th>From</th><td>{{index .M.Header "From"}} <span class="muted">(envelope {{.M.From}})</span></td></tr>
<tr><th>To</th><td>{{join .M.To ", "}}</td></tr><tr><th>Received</th><td>{{.M.ReceivedAt.Format "2006-01-02 15:04:05 MST"}}</td></tr></table>
{{if .HTML}}<h2>HTML</h2><iframe sandbox srcdoc="{{.HTML}}"></iframe>{{end}}
{{range .M.Parts}}<h2>{{.ContentType}}{{if .Filename}} — {{.Filename}}{{end}}</h2><pre>{{.Body}}</pre>{{end}}
</body></html>`))
