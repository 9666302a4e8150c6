// Package mock provides func-field implementations of the zhengzhao service
// interfaces for transport and rule tests. Each method calls the field of
// the same name with the suffix Fn; a test sets only the fields the code
// under test is expected to call, so an unexpected call panics with a nil
// function and points at the missing expectation.
package mock
