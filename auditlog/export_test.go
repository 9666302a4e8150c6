package auditlog

// CheckBatch is Check reading batch entries at a time, so that tests cross
// batch boundaries with small logs.
var CheckBatch = check
