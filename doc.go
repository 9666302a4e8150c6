// Package zhengzhao is the domain of Zhengzhao (证照), an electronic
// license library (电子证照库) implementing the Shanghai Electronic License
// Management Measures (上海市电子证照管理办法).
//
// This package holds the domain types (Unit, LicenseType, License,
// AuditEntry, Checkpoint), their validation rules, the identifier rules of
// the national e-license conventions, the Store interface that storage
// packages implement, and the service interfaces the transport calls. It
// imports only the standard library; every other package depends on it,
// never the reverse.
package zhengzhao
