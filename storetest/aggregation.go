package storetest

// aggregationTests pin down the stores' AggregationReadTx and AggregationTx.
var aggregationTests []test
