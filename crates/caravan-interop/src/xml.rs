//! XML reading helpers.
