package zhengzhao

// Use: using licenses (用证, Measures art. 13–15, 17–20, 26): service
// matters and usage lists, material exemption, access control for using
// units, scenarios, holder-authorised social use with consent grants, and
// composite licenses.

// UseReadTx reads use state. Stores implement it as part of ReadTx.
type UseReadTx interface{}

// UseTx writes use state. Stores implement it as part of Tx.
type UseTx interface{}

// UseService is what the transport calls for using licenses.
type UseService interface{}
