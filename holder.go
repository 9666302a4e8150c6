package zhengzhao

// Holders (持证主体, Measures art. 9, 16, 22): sign-in, the delivery inbox,
// the wallet, dynamic display tokens (亮证), the verifier, printable copies
// and proxies (代办).

// HolderReadTx reads holder state. Stores implement it as part of ReadTx.
type HolderReadTx interface{}

// HolderTx writes holder state. Stores implement it as part of Tx.
type HolderTx interface{}

// HolderService is what the transport calls for holders.
type HolderService interface{}
