//! [`Embedding`]: a vector that has been checked once, at the boundary, so that nothing
//! downstream ever stores or searches with a NaN, a zero vector or the wrong dimension.

/// Why a vector was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EmbeddingError {
    /// No components at all.
    #[error("the vector is empty; expected {expected} numbers")]
    Empty {
        /// The dimension that was expected.
        expected: usize,
    },
    /// The dimension differs from the model's.
    #[error("the vector has {actual} dimensions; the model expects {expected}")]
    WrongDimensions {
        /// The model's dimension.
        expected: usize,
        /// The vector's dimension.
        actual: usize,
    },
    /// A component is NaN or infinite.
    #[error("component {index} is {value}; every component must be a finite number")]
    NotFinite {
        /// Position of the first bad component.
        index: usize,
        /// Its value, for the message.
        value: f32,
    },
    /// All components are zero, so no direction (cosine is undefined).
    #[error("the vector has zero length; it carries no direction to compare")]
    ZeroNorm,
}

/// A dimension-checked, finite, non-zero embedding vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding(Vec<f32>);

impl Embedding {
    /// Checks `values` against the model's `dimensions`.
    pub fn new(values: Vec<f32>, dimensions: usize) -> Result<Self, EmbeddingError> {
        Self::check(&values, dimensions)?;
        Ok(Self(values))
    }

    /// The checks of [`Embedding::new`], without taking ownership (no copy needed to validate).
    pub fn check(values: &[f32], dimensions: usize) -> Result<(), EmbeddingError> {
        if values.is_empty() {
            return Err(EmbeddingError::Empty {
                expected: dimensions,
            });
        }
        if values.len() != dimensions {
            return Err(EmbeddingError::WrongDimensions {
                expected: dimensions,
                actual: values.len(),
            });
        }
        if let Some((index, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(EmbeddingError::NotFinite { index, value });
        }
        // Summed in f64: the squares of tiny f32 components underflow to zero in f32.
        let norm_sq: f64 = values.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
        if norm_sq == 0.0 {
            return Err(EmbeddingError::ZeroNorm);
        }
        Ok(())
    }

    /// Number of components.
    pub fn dimensions(&self) -> usize {
        self.0.len()
    }

    /// The components.
    pub fn as_slice(&self) -> &[f32] {
        &self.0
    }

    /// The vector scaled to unit length.
    pub fn normalized(&self) -> Self {
        let norm = self
            .0
            .iter()
            .map(|&v| f64::from(v) * f64::from(v))
            .sum::<f64>()
            .sqrt();
        Self(
            self.0
                .iter()
                .map(|&v| (f64::from(v) / norm) as f32)
                .collect(),
        )
    }

    /// The value to bind in SQL.
    pub fn to_pgvector(&self) -> pgvector::Vector {
        pgvector::Vector::from(self.0.clone())
    }
}

impl From<Embedding> for Vec<f32> {
    fn from(embedding: Embedding) -> Self {
        embedding.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_good_vector() {
        let e = Embedding::new(vec![0.5, -0.25, 1.0], 3).unwrap();
        assert_eq!(e.dimensions(), 3);
        assert_eq!(e.as_slice(), &[0.5, -0.25, 1.0]);
    }

    #[test]
    fn rejects_bad_vectors_with_the_reason() {
        assert_eq!(
            Embedding::new(vec![], 3),
            Err(EmbeddingError::Empty { expected: 3 })
        );
        assert_eq!(
            Embedding::new(vec![1.0, 2.0], 3),
            Err(EmbeddingError::WrongDimensions {
                expected: 3,
                actual: 2
            })
        );
        let nan = Embedding::new(vec![1.0, f32::NAN, 0.0], 3).unwrap_err();
        assert!(matches!(nan, EmbeddingError::NotFinite { index: 1, .. }));
        let inf = Embedding::new(vec![f32::INFINITY, 0.0, 0.0], 3).unwrap_err();
        assert!(matches!(inf, EmbeddingError::NotFinite { index: 0, .. }));
        assert_eq!(
            Embedding::new(vec![0.0; 3], 3),
            Err(EmbeddingError::ZeroNorm)
        );
        assert!(nan.to_string().contains("component 1 is NaN"));
    }

    #[test]
    fn tiny_but_nonzero_vectors_are_kept() {
        assert!(Embedding::new(vec![1e-30, 0.0], 2).is_ok());
    }

    #[test]
    fn normalizes_to_unit_length() {
        let e = Embedding::new(vec![3.0, 4.0], 2).unwrap().normalized();
        assert_eq!(e.as_slice(), &[0.6, 0.8]);
    }
}
