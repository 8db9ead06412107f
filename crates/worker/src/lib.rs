//! Runs one job through the pipeline stages and moves its status
