//! Integration tests of caravan-matching against peer data.

mod peer;
