package storetest

// holderTests pin down the stores' HolderReadTx and HolderTx.
var holderTests []test
