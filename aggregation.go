package zhengzhao

// Aggregation (归集, Measures art. 8, 10, 11): bulk import of historical
// licenses, daily increments, reconciliation with an issuer's business
// system, and outage catch-up deadlines in working days.

// AggregationReadTx reads aggregation state. Stores implement it as part of
// ReadTx.
type AggregationReadTx interface{}

// AggregationTx writes aggregation state. Stores implement it as part of Tx.
type AggregationTx interface{}

// AggregationService is what the transport calls for aggregation.
type AggregationService interface{}
