//! Reports (createReport, getReportRequestStatus) and rawRequest, through the real component against the simulated tenant.
