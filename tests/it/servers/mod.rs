//! Recorded-protocol servers on 127.0.0.1 for the backend clients' tests.

pub mod a1111;
pub mod comfyui;
pub mod openai;
