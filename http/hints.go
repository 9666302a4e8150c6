package http

// Messages for a caller without a working credential. Each says what to
// send and where to get it, so that a newcomer whose key came back empty
// is pointed at the cause; none says which part of a wrong token was
// wrong.
const (
	msgNoCredential = "authentication required: send Authorization: Bearer <key> with a unit's API key " +
		"(the administrator creates one with POST /v1/units/{code}/keys; serve --demo writes the demo keys to demo-credentials.txt) " +
		"or the administrator token ($ZHENGZHAO_ADMIN_TOKEN, or admin.token in the data directory); " +
		"a holder's own endpoints take the wallet's session cookie (sign in at /wallet)"
	msgEmptyBearer = "empty bearer token: the Authorization header names Bearer but carries no key " +
		"(did the command that should have printed the key fail?); the administrator creates a unit's key with POST /v1/units/{code}/keys, " +
		"and serve --demo writes the demo keys and the admin token to demo-credentials.txt"
	msgInvalidToken = "invalid bearer token: it is neither the administrator token nor a unit's current API key " +
		"(a key is shown once, when POST /v1/units/{code}/keys creates it; a revoked key no longer works)"
)
