//! Image embeddings from an ONNX image encoder: the one genpath carries, or
//! one the user supplies (the `embedding` feature, on by default).
//!
//! Why: "does this render still show *my* subject?" is the question behind
//! subject fidelity, and colour answers it only from the outside: a brown
//! cat among four photos of a brown dog passes every colour rule
//! (docs/research/identity-descriptors/). The measure practitioners use is
//! the cosine similarity of learned image embeddings — DINO / DINOv2 above
//! all, whose features follow identity and shape. Two renders of the same
//! character embed close together; a different kind of thing in the same
//! palette does not.
//!
//! The built-in encoder ([`builtin`]) is EfficientNet-Lite0 with its
//! ImageNet weights (Apache-2.0, 13 MB, about 0.4 GFLOP an image;
//! `models/README.md`), exported from a registry package by
//! `scripts/export_efficientnet_lite0.py`. On the fixtures' 23 real
//! identities it lets 1.4% of one-intruder sets through where colour alone
//! lets 25.6% through (docs/checks.md). A user may point genpath at another
//! encoder (DINOv2 ViT-S/14 exported to ONNX, pooled or CLS output), with a
//! line `genpath calibrate` measures for it. Both are run by tract, a
//! pure-Rust ONNX runtime (no native library, no `unsafe` of ours), which
//! turns an [`RgbImage`] into an L2-normalised vector; [`cosine`] compares
//! two such vectors.
//!
//! Limits: the model file is refused above [`MAX_MODEL_BYTES`] before it is
//! read, the model must take one image (`[1, 3, H, W]`, f32) and give one
//! vector, and every image is resized to the model's own side (224 when the
//! model leaves it open), so no learner's image can cost more than one
//! model-sized inference.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use image::RgbImage;
use tract_onnx::pb;
use tract_onnx::prelude::{
    Arc, Datum, DatumExt, InferenceModelExt, IntoRunnable, IntoTValue, IntoTensor, TDim, TypedRunnableModel,
    tract_ndarray, tvec,
};
use tract_onnx::tract_hir::infer::Factoid;

/// Largest model file genpath reads (DINOv2 ViT-L/14 in f32 is about 1.2 GB
/// with external data; ViT-B/14 is about 350 MB in one file).
pub const MAX_MODEL_BYTES: u64 = 1024 * 1024 * 1024;

/// The side an image is resized to when the model leaves its input size
/// open (symbolic `H`/`W`): the side DINO and most ImageNet encoders train at.
pub const DEFAULT_SIDE: usize = 224;

/// Largest side genpath will feed a model whose input declares a fixed size: a
/// bigger one is a model for another job (segmentation, detection), and would
/// cost seconds per image.
pub const MAX_SIDE: usize = 1024;

/// ImageNet channel means and standard deviations (RGB, on 0..1 values): the
/// normalisation DINO, DINOv2, and almost every torchvision encoder expects.
const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const STD: [f32; 3] = [0.229, 0.224, 0.225];

/// The built-in encoder's ONNX file (`models/README.md`).
const BUILTIN_ONNX: &[u8] = include_bytes!("../../models/efficientnet-lite0.onnx");

/// The encoder genpath carries, loaded and optimised once per process
/// (about a tenth of a second); `Ok(None)` in a build without the runtime.
/// An error here is a damaged build, never the user's input.
pub fn builtin() -> Result<Option<&'static Embedder>> {
    static MODEL: std::sync::OnceLock<Result<Embedder, String>> = std::sync::OnceLock::new();
    MODEL
        .get_or_init(|| Embedder::from_onnx_bytes(BUILTIN_ONNX, None).map_err(|e| format!("{e:#}")))
        .as_ref()
        .map(Some)
        .map_err(|e| anyhow::anyhow!("the built-in image encoder cannot be loaded: {e}"))
}

/// A loaded, optimised image encoder: one f32 `[1, 3, H, W]` image in, one
/// vector out.
#[derive(Debug, Clone)]
pub struct Embedder {
    model: Arc<TypedRunnableModel>,
    /// Input height and width, in pixels.
    side: (usize, usize),
    /// Length of the embedding vector.
    dim: usize,
}

impl Embedder {
    /// Load an ONNX image encoder from `path`, fixing its input to f32
    /// `[1, 3, H, W]` (H and W as the model declares them, or
    /// [`DEFAULT_SIDE`] where it leaves them symbolic), then optimise it.
    ///
    /// Every error names the file: missing or unreadable, larger than
    /// [`MAX_MODEL_BYTES`], not an ONNX model, an input that is not one 4-D
    /// image with 3 channels, or an output that is not a vector once its
    /// axes of length 1 are dropped.
    pub fn load(path: &Path) -> Result<Embedder> {
        let bytes = read_model(path)?;
        Self::from_onnx_bytes(&bytes, path.parent())
            .with_context(|| format!("{}: cannot use as an image embedding model", path.display()))
    }

    /// The parse, checks and optimisation behind [`Embedder::load`], on the
    /// bytes of an ONNX file; `dir` is where tensors stored as external data
    /// are looked for. Errors do not name a file (the caller does).
    fn from_onnx_bytes(bytes: &[u8], dir: Option<&Path>) -> Result<Embedder> {
        let proto = <pb::ModelProto as prost::Message>::decode(bytes)
            .map_err(|e| anyhow::anyhow!("not an ONNX model (protobuf decoding failed: {e})"))?;
        let graph = proto.graph.as_ref().context("not an ONNX model (no graph)")?;
        ensure!(!graph.node.is_empty(), "not an ONNX model (its graph has no operators)");

        let onnx = tract_onnx::onnx();
        let parsed = onnx.parse(&proto, dir.and_then(Path::to_str)).context("the ONNX graph could not be read")?;
        ensure!(parsed.unresolved_inputs.is_empty(), "the graph uses undefined values {:?}", parsed.unresolved_inputs);
        let model = parsed.model;
        let inputs = model.input_outlets()?.len();
        ensure!(inputs == 1, "the model takes {inputs} inputs; an image encoder takes one image");

        let (height, width) = image_input_side(model.input_fact(0)?)?;
        let model = model
            .with_input_fact(0, f32::fact([1, 3, height, width]).into())?
            .into_optimized()
            .context("the model could not be prepared for a [1, 3, H, W] f32 image")?;
        ensure!(!model.outputs.is_empty(), "the model has no output");
        let out = model.output_fact(0)?;
        let Some(shape) = out.shape.as_concrete() else {
            bail!("its first output has shape {:?}, not a fixed size", out.shape);
        };
        let dim: usize = shape.iter().product();
        ensure!(
            shape.iter().filter(|&&d| d != 1).count() <= 1 && dim >= 2,
            "its first output has shape {shape:?}, not a vector once the axes of length 1 are dropped \
             (export the pooled or CLS embedding, not per-token or per-pixel features)"
        );
        let model = model.into_runnable()?;
        Ok(Embedder { model, side: (height, width), dim })
    }

    /// The image side the model takes, (height, width) in pixels.
    pub fn input_side(&self) -> (usize, usize) {
        self.side
    }

    /// The length of the vectors [`Embedder::embed`] returns.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The embedding of `rgb`: resized (stretched, triangle filter) to the
    /// model's side, ImageNet-normalised, run, flattened and L2-normalised,
    /// so the [`cosine`] of two embeddings is their dot product. An image of
    /// any size, down to 1×1, is accepted.
    ///
    /// A model that gives a zero (or non-finite) vector is an error: such a
    /// vector has no direction to compare.
    pub fn embed(&self, rgb: &RgbImage) -> Result<Vec<f32>> {
        ensure!(rgb.width() > 0 && rgb.height() > 0, "cannot embed an empty image");
        let (height, width) = self.side;
        let resized;
        let pixels = if (rgb.width() as usize, rgb.height() as usize) == (width, height) {
            rgb
        } else {
            // `side` was checked ≤ MAX_SIDE at load, so these fit in u32. The
            // crate's own triangle resize: the image crate's pixels, faster.
            resized = super::resize::triangle_resize(rgb, width as u32, height as u32);
            &resized
        };

        let plane = height * width;
        let mut data = vec![0f32; 3 * plane];
        for (i, px) in pixels.pixels().enumerate() {
            for (c, &value) in px.0.iter().enumerate() {
                data[c * plane + i] = (f32::from(value) / 255.0 - MEAN[c]) / STD[c];
            }
        }
        let input = tract_ndarray::Array4::from_shape_vec((1, 3, height, width), data)?.into_tensor();

        let outputs = self.model.run(tvec!(input.into_tvalue())).context("the embedding model failed to run")?;
        let first = outputs.first().context("the embedding model gave no output")?;
        let first = first.cast_to::<f32>().context("the embedding model's output is not numeric")?;
        let mut v: Vec<f32> = first.to_plain_array_view::<f32>()?.iter().copied().collect();
        ensure!(v.len() == self.dim, "the model gave {} values, {} expected", v.len(), self.dim);

        let norm = v.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>().sqrt();
        ensure!(norm.is_finite(), "the model gave a non-finite embedding (NaN or infinity)");
        ensure!(norm > 0.0, "the model gave a zero embedding, which has no direction to compare");
        for x in &mut v {
            *x = (f64::from(*x) / norm) as f32;
        }
        Ok(v)
    }
}

/// Cosine similarity of two vectors (for two [`Embedder::embed`] results,
/// their dot product); shared with the build without the runtime.
pub use super::analysis::cosine;

/// Read a model file, refusing one larger than [`MAX_MODEL_BYTES`] before
/// reading it; at most one byte past the limit is read when the size on disk
/// cannot be trusted (a device, a growing file).
fn read_model(path: &Path) -> Result<Vec<u8>> {
    let shown = path.display();
    let file = std::fs::File::open(path).with_context(|| format!("{shown}: cannot open the embedding model"))?;
    let meta = file.metadata().with_context(|| format!("{shown}: cannot read the embedding model"))?;
    ensure!(!meta.is_dir(), "{shown}: is a directory, not an ONNX embedding model");
    ensure!(
        meta.len() <= MAX_MODEL_BYTES,
        "{shown}: the embedding model is {} MiB; genpath reads at most {} MiB",
        meta.len() / (1024 * 1024),
        MAX_MODEL_BYTES / (1024 * 1024)
    );
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(MAX_MODEL_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("{shown}: cannot read the embedding model"))?;
    ensure!(
        bytes.len() as u64 <= MAX_MODEL_BYTES,
        "{shown}: the embedding model is larger than {} MiB",
        MAX_MODEL_BYTES / (1024 * 1024)
    );
    Ok(bytes)
}

/// (height, width) for an image input as the model declares it: rank 4 with
/// 3 channels where those are known, a batch of 1 if fixed, f32 if typed; a
/// fixed H or W is kept, a symbolic one becomes [`DEFAULT_SIDE`].
fn image_input_side(fact: &tract_onnx::prelude::InferenceFact) -> Result<(usize, usize)> {
    if let Some(dt) = fact.datum_type.concretize() {
        ensure!(dt == f32::datum_type(), "its input is {dt:?}; genpath feeds f32 images");
    }
    if let Some(rank) = fact.shape.rank().concretize() {
        ensure!(rank == 4, "its input has {rank} axes; an image input is [1, 3, H, W]");
    }
    let fixed = |axis: usize| fact.shape.dim(axis).and_then(|d| d.concretize()).and_then(|d: TDim| d.as_i64());
    if let Some(batch) = fixed(0) {
        ensure!(batch == 1, "its input takes a batch of {batch}; genpath feeds one image ([1, 3, H, W])");
    }
    if let Some(channels) = fixed(1) {
        ensure!(channels == 3, "its input has {channels} channels; an RGB image input has 3 ([1, 3, H, W])");
    }
    let side = |axis: usize, name: &str| -> Result<usize> {
        match fixed(axis) {
            None => Ok(DEFAULT_SIDE),
            Some(n) => {
                let n = usize::try_from(n).ok().filter(|&n| (1..=MAX_SIDE).contains(&n));
                n.with_context(|| format!("its input {name} is {n:?}; genpath takes 1 to {MAX_SIDE} px"))
            }
        }
    };
    Ok((side(2, "height")?, side(3, "width")?))
}

/// A tiny image encoder built in code, for tests of loading and of the
/// line's plumbing (the built-in encoder is the real one): input `image` f32 `[1, 3, 32, 32]` → 3×3 Conv to 8 channels
/// (colour-opponent, luminance and edge filters) → Relu → GlobalAveragePool →
/// Flatten → output `embedding` `[1, 8]`. ONNX opset 13, encoded as a file's
/// bytes.
#[doc(hidden)]
pub fn tiny_test_model() -> Vec<u8> {
    tiny_model(&[Dim::Fixed(1), Dim::Fixed(3), Dim::Fixed(32), Dim::Fixed(32)], true)
}

/// One axis of the tiny model's declared input.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub enum Dim {
    Fixed(i64),
    Symbolic(&'static str),
}

/// The tiny model with its input declared as `input` (a symbolic side, a
/// wrong channel count...) and, when `pooled` is false, no pooling: its
/// output is then the `[1, 8, H, W]` feature map, not a vector.
#[doc(hidden)]
pub fn tiny_model(input: &[Dim], pooled: bool) -> Vec<u8> {
    use pb::attribute_proto::AttributeType;
    use pb::tensor_proto::DataType;
    use pb::tensor_shape_proto::{Dimension, dimension};

    let channels = match input.get(1) {
        Some(Dim::Fixed(c)) => usize::try_from(*c).unwrap_or(3),
        _ => 3,
    };
    // Eight 3×3 filters per input channel (R, G, B), mean taken over the
    // window: R−G, G−R, B−(R+G)/2, (R+G)/2−B, luminance, −luminance, and a
    // horizontal and a vertical Sobel edge on luminance.
    let flat = [1.0f32 / 9.0; 9];
    let sobel_x = [-1.0f32, 0.0, 1.0, -2.0, 0.0, 2.0, -1.0, 0.0, 1.0];
    let sobel_y = [-1.0f32, -2.0, -1.0, 0.0, 0.0, 0.0, 1.0, 2.0, 1.0];
    let filters: [([f32; 3], [f32; 9]); 8] = [
        ([1.0, -1.0, 0.0], flat),
        ([-1.0, 1.0, 0.0], flat),
        ([-0.5, -0.5, 1.0], flat),
        ([0.5, 0.5, -1.0], flat),
        ([1.0 / 3.0; 3], flat),
        ([-1.0 / 3.0; 3], flat),
        ([1.0 / 3.0; 3], sobel_x),
        ([1.0 / 3.0; 3], sobel_y),
    ];
    let mut weights = Vec::with_capacity(8 * channels * 9);
    for (mix, kernel) in &filters {
        for c in 0..channels {
            let m = mix.get(c).copied().unwrap_or(0.0);
            weights.extend(kernel.iter().map(|k| m * k));
        }
    }
    let tensor_value = |name: &str, dims: Vec<Dimension>| pb::ValueInfoProto {
        name: name.into(),
        r#type: Some(pb::TypeProto {
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(pb::TensorShapeProto { dim: dims }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    };
    let dim = |d: &Dim| Dimension {
        value: Some(match d {
            Dim::Fixed(n) => dimension::Value::DimValue(*n),
            Dim::Symbolic(s) => dimension::Value::DimParam((*s).into()),
        }),
        ..Default::default()
    };
    let ints = |name: &str, v: &[i64]| pb::AttributeProto {
        name: name.into(),
        r#type: AttributeType::Ints as i32,
        ints: v.to_vec(),
        ..Default::default()
    };
    let node = |op: &str, inputs: &[&str], output: &str, attribute: Vec<pb::AttributeProto>| pb::NodeProto {
        name: output.into(),
        op_type: op.into(),
        input: inputs.iter().map(|s| (*s).to_string()).collect(),
        output: vec![output.into()],
        attribute,
        ..Default::default()
    };

    let mut nodes = vec![
        node(
            "Conv",
            &["image", "conv.weight", "conv.bias"],
            "features",
            vec![ints("kernel_shape", &[3, 3]), ints("pads", &[1, 1, 1, 1])],
        ),
        node("Relu", &["features"], if pooled { "relu" } else { "embedding" }, vec![]),
    ];
    let output_dims = if pooled {
        nodes.push(node("GlobalAveragePool", &["relu"], "pooled", vec![]));
        nodes.push(node(
            "Flatten",
            &["pooled"],
            "embedding",
            vec![pb::AttributeProto {
                name: "axis".into(),
                r#type: AttributeType::Int as i32,
                i: 1,
                ..Default::default()
            }],
        ));
        vec![dim(&Dim::Fixed(1)), dim(&Dim::Fixed(8))]
    } else {
        vec![]
    };
    let graph = pb::GraphProto {
        name: "genpath-tiny-embedder".into(),
        node: nodes,
        initializer: vec![
            pb::TensorProto {
                name: "conv.weight".into(),
                dims: vec![8, channels as i64, 3, 3],
                data_type: DataType::Float as i32,
                float_data: weights,
                ..Default::default()
            },
            pb::TensorProto {
                name: "conv.bias".into(),
                dims: vec![8],
                data_type: DataType::Float as i32,
                float_data: vec![0.0; 8],
                ..Default::default()
            },
        ],
        input: vec![tensor_value("image", input.iter().map(dim).collect())],
        output: vec![tensor_value("embedding", output_dims)],
        ..Default::default()
    };
    let model = pb::ModelProto {
        ir_version: 8,
        opset_import: vec![pb::OperatorSetIdProto { domain: String::new(), version: 13 }],
        producer_name: "genpath".into(),
        graph: Some(graph),
        ..Default::default()
    };
    prost::Message::encode_to_vec(&model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn write_tiny(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn tiny() -> Embedder {
        let dir = tempfile::tempdir().unwrap();
        Embedder::load(&write_tiny(&dir, "tiny.onnx", &tiny_test_model())).unwrap()
    }

    /// A `side`² mid-grey image with a centred square of `colour`, half the side.
    fn square(side: u32, colour: [u8; 3]) -> RgbImage {
        RgbImage::from_fn(side, side, |x, y| {
            let inside = |v: u32| v >= side / 4 && v < side * 3 / 4;
            if inside(x) && inside(y) { Rgb(colour) } else { Rgb([128, 128, 128]) }
        })
    }

    #[test]
    fn embedding_tiny_model_loads() {
        let e = tiny();
        assert_eq!(e.input_side(), (32, 32));
        assert_eq!(e.dim(), 8);
    }

    #[test]
    fn embedding_is_send_and_sync() {
        fn both<T: Send + Sync>() {}
        both::<Embedder>();
    }

    #[test]
    fn embedding_same_image_is_cosine_one() {
        let e = tiny();
        let img = square(100, [200, 30, 30]);
        let (a, b) = (e.embed(&img).unwrap(), e.embed(&img).unwrap());
        assert_eq!(a.len(), 8);
        let norm: f64 = a.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "{norm}");
        assert!((cosine(&a, &b) - 1.0).abs() < 1e-9, "{}", cosine(&a, &b));
    }

    #[test]
    fn embedding_red_is_nearer_darker_red_than_blue() {
        let e = tiny();
        let red = e.embed(&square(64, [220, 20, 20])).unwrap();
        let dark_red = e.embed(&square(64, [180, 15, 15])).unwrap();
        let blue = e.embed(&square(64, [20, 20, 220])).unwrap();
        let (near, far) = (cosine(&red, &dark_red), cosine(&red, &blue));
        assert!(near > far + 0.1, "red~dark red {near}, red~blue {far}");
        assert!(near > 0.95, "{near}");
    }

    #[test]
    fn embedding_any_image_size_embeds() {
        let e = tiny();
        for (w, h) in [(1, 1), (1, 2048), (2048, 64), (31, 33), (32, 32), (7, 500)] {
            let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
            let v = e.embed(&img).unwrap_or_else(|err| panic!("{w}x{h}: {err:#}"));
            assert_eq!(v.len(), 8);
            assert!(v.iter().all(|x| x.is_finite()), "{w}x{h}: {v:?}");
        }
    }

    #[test]
    fn embedding_uniform_image_is_not_nan() {
        // A flat grey image: only the luminance filters can fire; whatever
        // the model gives, it is a unit vector or an error, never NaN.
        let e = tiny();
        for grey in [0u8, 124, 255] {
            match e.embed(&RgbImage::from_pixel(40, 40, Rgb([grey; 3]))) {
                Ok(v) => assert!(v.iter().all(|x| x.is_finite()), "{grey}: {v:?}"),
                Err(err) => assert!(format!("{err:#}").contains("zero embedding"), "{grey}: {err:#}"),
            }
        }
    }

    #[test]
    fn embedding_missing_file_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-model.onnx");
        let err = format!("{:#}", Embedder::load(&path).unwrap_err());
        assert!(err.contains("no-such-model.onnx"), "{err}");
    }

    #[test]
    fn embedding_garbage_file_names_it() {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in [
            ("garbage.onnx", b"\xff\xfe this is not a protobuf at all \x00\x01".to_vec()),
            ("empty.onnx", Vec::new()),
            ("text.onnx", b"hello".to_vec()),
            ("png.onnx", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()),
        ] {
            let err = format!("{:#}", Embedder::load(&write_tiny(&dir, name, &bytes)).unwrap_err());
            assert!(err.contains(name), "{name}: {err}");
            assert!(err.contains("not an ONNX model") || err.contains("graph"), "{name}: {err}");
        }
        let err = format!("{:#}", Embedder::load(dir.path()).unwrap_err());
        assert!(err.contains(&dir.path().display().to_string()), "{err}");
    }

    #[test]
    fn embedding_symbolic_side_is_224() {
        let dir = tempfile::tempdir().unwrap();
        let model = tiny_model(&[Dim::Symbolic("N"), Dim::Fixed(3), Dim::Symbolic("H"), Dim::Symbolic("W")], true);
        let e = Embedder::load(&write_tiny(&dir, "open.onnx", &model)).unwrap();
        assert_eq!(e.input_side(), (DEFAULT_SIDE, DEFAULT_SIDE));
        assert_eq!(e.embed(&square(50, [10, 200, 10])).unwrap().len(), 8);
    }

    #[test]
    fn embedding_rejects_a_non_image_input() {
        let dir = tempfile::tempdir().unwrap();
        let one_channel = tiny_model(&[Dim::Fixed(1), Dim::Fixed(1), Dim::Fixed(32), Dim::Fixed(32)], true);
        let err = format!("{:#}", Embedder::load(&write_tiny(&dir, "grey.onnx", &one_channel)).unwrap_err());
        assert!(err.contains("grey.onnx") && err.contains("1 channels"), "{err}");
        let three_d = tiny_model(&[Dim::Fixed(3), Dim::Fixed(32), Dim::Fixed(32)], true);
        let err = format!("{:#}", Embedder::load(&write_tiny(&dir, "3d.onnx", &three_d)).unwrap_err());
        assert!(err.contains("3d.onnx") && err.contains("3 axes"), "{err}");
    }

    #[test]
    fn embedding_rejects_a_feature_map_output() {
        let dir = tempfile::tempdir().unwrap();
        let map = tiny_model(&[Dim::Fixed(1), Dim::Fixed(3), Dim::Fixed(32), Dim::Fixed(32)], false);
        let err = format!("{:#}", Embedder::load(&write_tiny(&dir, "map.onnx", &map)).unwrap_err());
        assert!(err.contains("map.onnx") && err.contains("not a vector"), "{err}");
    }

    /// The built-in encoder loads from the binary once, takes 224² and
    /// gives 1280 values, and places two photos of one dog closer together
    /// than a dog and a can.
    #[test]
    fn the_builtin_encoder_tells_a_dog_from_a_can() {
        let e = builtin().unwrap().unwrap();
        assert!(std::ptr::eq(e, builtin().unwrap().unwrap()), "loaded once");
        assert_eq!((e.input_side(), e.dim()), ((224, 224), 1280));
        let photo = |p: &str| {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/subjects/photos").join(p);
            e.embed(&image::open(path).unwrap().to_rgb8()).unwrap()
        };
        let (dog, other_dog, can) = (photo("dog6/00.jpg"), photo("dog6/01.jpg"), photo("can/00.jpg"));
        assert_eq!(dog, photo("dog6/00.jpg"), "deterministic");
        let (same, different) = (cosine(&dog, &other_dog), cosine(&dog, &can));
        assert!(same > different + 0.2, "same dog {same:.3}, dog and can {different:.3}");
    }

    #[test]
    fn embedding_cosine_edge_cases() {
        assert_eq!(cosine(&[1.0, 0.0], &[0.0, 1.0]), 0.0);
        assert!((cosine(&[1.0, 2.0], &[2.0, 4.0]) - 1.0).abs() < 1e-12);
        assert!((cosine(&[1.0, 2.0], &[-1.0, -2.0]) + 1.0).abs() < 1e-12);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 1.0]), 0.0);
        assert_eq!(cosine(&[1.0], &[1.0, 0.0]), 0.0);
        assert_eq!(cosine(&[], &[]), 0.0);
    }

    #[test]
    #[ignore = "timing, not a check: cargo test --release --lib embedding_time -- --ignored --nocapture"]
    fn embedding_time_1024() {
        let e = tiny();
        let img = RgbImage::from_fn(1024, 1024, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8]));
        let _ = e.embed(&img).unwrap();
        let n = 20;
        let t = std::time::Instant::now();
        for _ in 0..n {
            std::hint::black_box(e.embed(&img).unwrap());
        }
        let per = t.elapsed() / n;
        let t = std::time::Instant::now();
        for _ in 0..n {
            std::hint::black_box(crate::imaging::resize::triangle_resize(&img, 32, 32));
        }
        eprintln!("embed 1024² with the tiny model: {per:?} per image (of which resize {:?})", t.elapsed() / n);
    }
}
