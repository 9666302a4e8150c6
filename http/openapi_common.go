package http

import "strings"

// addCommonResponses declares on every operation of the merged document the
// error responses that the conventions of the document's description
// promise everywhere, so that each fragment need not repeat them and a
// validator of responses finds every status the server can answer:
//
//   - 400 invalid: an undefined or repeated query parameter, on every endpoint;
//   - 401 unauthenticated: a malformed bearer header, on every endpoint;
//   - 403 forbidden: a party that may not, and cross-origin browser writes;
//   - 404 not_found: on every path with a path parameter;
//   - 413 too_large: on every operation with a request body;
//   - 500 internal and 503 unavailable: on every endpoint.
//
// A response an operation declares itself is kept.
func addCommonResponses(doc map[string]any) {
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		ops, _ := item.(map[string]any)
		for method, op := range ops {
			o, ok := op.(map[string]any)
			if !ok || !isHTTPMethod(method) {
				continue
			}
			responses, _ := o["responses"].(map[string]any)
			if responses == nil {
				continue
			}
			add := func(status, name string) {
				if _, ok := responses[status]; !ok {
					responses[status] = map[string]any{"$ref": "#/components/responses/" + name}
				}
			}
			add("400", "Invalid")
			add("401", "Unauthenticated")
			add("403", "Forbidden")
			if strings.Contains(path, "{") {
				add("404", "NotFound")
			}
			if _, body := o["requestBody"]; body {
				add("413", "TooLarge")
			}
			add("500", "Internal")
			add("503", "Unavailable")
		}
	}
}

func isHTTPMethod(m string) bool {
	switch m {
	case "get", "put", "post", "delete", "patch", "head", "options", "trace":
		return true
	}
	return false
}

// OpenAPI returns the OpenAPI document that the server serves at
// /openapi.json, for tools and tests that check responses against it.
func OpenAPI() []byte { return openAPIDocument }
