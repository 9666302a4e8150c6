package zhengzhao

// Oversight: objections (异议, Measures art. 23), responsible staff (art.
// 25), the published catalog (art. 7) and supervision (art. 29).

// OversightReadTx reads oversight state. Stores implement it as part of
// ReadTx.
type OversightReadTx interface{}

// OversightTx writes oversight state. Stores implement it as part of Tx.
type OversightTx interface{}

// OversightService is what the transport calls for oversight.
type OversightService interface{}
