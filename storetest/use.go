package storetest

// useTests pin down the stores' UseReadTx and UseTx.
var useTests []test
