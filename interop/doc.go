// Package interop holds the tests that check Zhengzhao's open formats
// (sdjwt, statuslist) against independent implementations from npm: the
// OpenWallet Foundation's @sd-jwt packages and Digital Bazaar's
// vc-bitstring-status-list, pinned in testdata/node/package-lock.json.
//
// The tests need node and npm. They install the pinned packages with
// `npm ci` into a cache directory when testdata/node/node_modules is
// missing, skip when node or npm is absent, and fail instead when CI=true.
package interop
