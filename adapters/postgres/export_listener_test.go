package postgres

// BackendPID is the PostgreSQL backend of the listener's connection, for tests; 0 while it
// is not listening. It turns non-zero once LISTEN took effect and every waiter was woken
// for what may have been missed before.
func (l *OrderChangeListener) BackendPID() uint32 { return l.pid.Load() }
