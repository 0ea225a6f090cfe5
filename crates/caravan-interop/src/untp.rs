//! UNTP credentials.

/// Whether `context` is a UNTP context URL.
pub fn is_untp_context(context: &str) -> bool {
    context.contains("uncefact.org/vocabulary/untp/") || context.contains("uncefact.org/untp/")
}
