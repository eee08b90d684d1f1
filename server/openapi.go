package server

import (
	_ "embed"
	"net/http"
)

// openAPIDoc is the OpenAPI 3 document of the API; a test checks it
// against the registered routes both ways.
//
//go:embed openapi.json
var openAPIDoc []byte

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPIDoc)
}
