//! Object storage and signed URLs behind one trait: a local folder embedded, S3 for a fleet
