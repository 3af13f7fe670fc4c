//! Received bytes kept verbatim ("never re-encode what you must hash").

use std::fmt;
use std::marker::PhantomData;

use rasn::prelude::*;
use rasn::types::TagTree;

use super::{Asn1Error, KerberosMessage};

/// The exact DER (whole TLV) of a `T`, as received or as encoded once. Encoding a message
/// that holds a `Raw` copies these bytes unchanged; [`Raw::decode`] gives the typed value.
/// Used for KDC-REQ-BODY (covered by the TGS-REQ and FAST checksums) and Ticket (stored and
/// forwarded verbatim).
pub struct Raw<T> {
    der: Vec<u8>,
    _ty: PhantomData<T>,
}

impl<T: KerberosMessage> Raw<T> {
    /// Encode `value` once and keep the bytes.
    pub fn new(value: &T) -> Result<Self, Asn1Error> {
        value.encode_der().map(Self::from_der_unchecked)
    }

    /// Wrap bytes that are already DER for `T` (checked later by [`Raw::decode`]).
    pub fn from_der_unchecked(der: Vec<u8>) -> Self {
        Self {
            der,
            _ty: PhantomData,
        }
    }

    /// The exact bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.der
    }

    /// Decode and validate the typed value.
    pub fn decode(&self) -> Result<T, Asn1Error> {
        T::from_der(&self.der)
    }
}

impl<T> Clone for Raw<T> {
    fn clone(&self) -> Self {
        Self {
            der: self.der.clone(),
            _ty: PhantomData,
        }
    }
}

impl<T> PartialEq for Raw<T> {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl<T> Eq for Raw<T> {}

impl<T> fmt::Debug for Raw<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Raw<{}>({} bytes)",
            std::any::type_name::<T>(),
            self.der.len()
        )
    }
}

impl<T> AsnType for Raw<T> {
    const TAG: Tag = Tag::EOC;
    const TAG_TREE: TagTree = TagTree::Choice(&[]);
}

impl<T> Decode for Raw<T> {
    fn decode_with_tag_and_constraints<D: Decoder>(
        decoder: &mut D,
        tag: Tag,
        _: &Constraints,
    ) -> Result<Self, D::Error> {
        let any = decoder.decode_any(tag)?;
        Ok(Self {
            der: any.into_bytes(),
            _ty: PhantomData,
        })
    }
}

impl<T> Encode for Raw<T> {
    fn encode_with_tag_and_constraints<'b, E: Encoder<'b>>(
        &self,
        encoder: &mut E,
        tag: Tag,
        _: &Constraints,
        identifier: Identifier,
    ) -> Result<(), E::Error> {
        // `Any` is how rasn writes pre-encoded bytes; this clone is the price of its API.
        encoder
            .encode_any(tag, &Any::new(self.der.clone()), identifier)
            .map(drop)
    }
}
