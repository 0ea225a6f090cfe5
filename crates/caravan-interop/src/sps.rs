//! UN/CEFACT SPSCertificate XML (D17A, `urn:un:unece:uncefact:data:standard:SPSCertificate:17`).
