//! Job records, their state machine and the queue (leases, retries), behind one storage trait: SQLite embedded, PostgreSQL for a fleet
