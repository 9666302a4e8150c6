package storetest

// oversightTests pin down the stores' OversightReadTx and OversightTx.
var oversightTests []test
