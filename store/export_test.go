package store

// AbandonServeLock lets go of l as a dying process does: no handover written.
func AbandonServeLock(l *ServeLock) { l.f.Close() }
