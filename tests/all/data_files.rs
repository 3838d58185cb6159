//! Data files: list, get, create and update (multipart), delete, selectDataFile, through the real component against the simulated tenant.
