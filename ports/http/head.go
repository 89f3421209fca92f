package http

import "net/http"

// headAsGet answers HEAD on every route as GET, so no GET route can miss its HEAD (RFC 9110
// section 9.3.2) and none is registered twice: the handler runs as for GET and sets the same
// status and headers (ETag, Content-Type, ...). The body it writes is discarded by net/http,
// which keys that on the request it handed to the ServeHTTP here, still a HEAD: the handler
// gets a copy, with GET as its method. A route without GET answers HEAD 405, as it should.
func headAsGet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			get := *r
			get.Method = http.MethodGet
			r = &get
		}
		next.ServeHTTP(w, r)
	})
}
