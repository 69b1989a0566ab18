//! Generated Rust types, servers and clients for the `kompis.v1` gRPC API.
//!
//! The `.proto` files in `proto/kompis/v1/` are the contract; this crate only compiles
//! them. [`FILE_DESCRIPTOR_SET`] is the encoded descriptor set that server reflection
//! serves.

/// The `kompis.v1` package.
pub mod v1 {
    #![allow(missing_docs, clippy::all, clippy::pedantic, missing_debug_implementations)]
    tonic::include_proto!("kompis.v1");
}

/// Encoded `FileDescriptorSet` of every `kompis.v1` file, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/kompis_descriptor.bin"));
