namespace SuperRes.Deploy.Engines.Graph;

/// <summary>
/// Which ops a model may use: every operator of the default ONNX domain (with the opset version that introduced it),
/// the ai.onnx.ml and training-preview domains, and custom ops registered here (our own FusedAttention is registered
/// by default). Validation reports any other op as unknown.
/// </summary>
public static class OpCatalog
{
    /// <summary>The domain of this project's custom ops.</summary>
    public const string SuperResDomain = "com.superres.deploy";

    /// <summary>Our fused attention op (see plugins/fused_attention).</summary>
    public const string FusedAttentionOp = "FusedAttention";

    private static readonly Lock Gate = new();
    private static readonly HashSet<(string Domain, string OpType)> Custom = [(SuperResDomain, FusedAttentionOp)];

    /// <summary>Default-domain ops and the opset version that introduced each.</summary>
    private static readonly Dictionary<string, int> OnnxOps = Parse(
        "Abs 1,Acos 7,Acosh 9,Add 1,AffineGrid 20,And 1,ArgMax 1,ArgMin 1,Asin 7,Asinh 9,Atan 7,Atanh 9,Attention 23,AveragePool 1," +
        "BatchNormalization 1,Bernoulli 15,BitShift 11,BitwiseAnd 18,BitwiseNot 18,BitwiseOr 18,BitwiseXor 18,BlackmanWindow 17," +
        "Cast 1,CastLike 15,Ceil 1,Celu 12,CenterCropPad 18,Clip 1,Col2Im 18,Compress 9,Concat 1,ConcatFromSequence 11,Constant 1," +
        "ConstantOfShape 9,Conv 1,ConvInteger 10,ConvTranspose 1,Cos 7,Cosh 9,CumSum 11,DFT 17,DeformConv 19,DepthToSpace 1," +
        "DequantizeLinear 10,Det 11,Div 1,Dropout 1,DynamicQuantizeLinear 11,Einsum 12,Elu 1,Equal 1,Erf 9,Exp 1,Expand 8,EyeLike 9," +
        "Flatten 1,Floor 1,GRU 1,Gather 1,GatherElements 11,GatherND 11,Gelu 20,Gemm 1,GlobalAveragePool 1,GlobalLpPool 1," +
        "GlobalMaxPool 1,Greater 1,GreaterOrEqual 12,GridSample 16,GroupNormalization 18,HammingWindow 17,HannWindow 17," +
        "HardSigmoid 1,HardSwish 14,Hardmax 1,Identity 1,If 1,ImageDecoder 20,InstanceNormalization 1,IsInf 10,IsNaN 9,LRN 1,LSTM 1," +
        "LayerNormalization 17,LeakyRelu 1,Less 1,LessOrEqual 12,Log 1,LogSoftmax 1,Loop 1,LpNormalization 1,LpPool 1,MatMul 1," +
        "MatMulInteger 10,Max 1,MaxPool 1,MaxRoiPool 1,MaxUnpool 9,Mean 1,MeanVarianceNormalization 9,MelWeightMatrix 17,Min 1," +
        "Mish 18,Mod 10,Mul 1,Multinomial 7,Neg 1,NegativeLogLikelihoodLoss 12,NonMaxSuppression 10,NonZero 9,Not 1,OneHot 9," +
        "Optional 15,OptionalGetElement 15,OptionalHasElement 15,Or 1,PRelu 1,Pad 1,Pow 1,QLinearConv 10,QLinearMatMul 10," +
        "QuantizeLinear 10,RMSNormalization 23,RNN 1,RandomNormal 1,RandomNormalLike 1,RandomUniform 1,RandomUniformLike 1,Range 11," +
        "Reciprocal 1,ReduceL1 1,ReduceL2 1,ReduceLogSum 1,ReduceLogSumExp 1,ReduceMax 1,ReduceMean 1,ReduceMin 1,ReduceProd 1," +
        "ReduceSum 1,ReduceSumSquare 1,RegexFullMatch 20,Relu 1,Reshape 1,Resize 10,ReverseSequence 10,RoiAlign 10,RotaryEmbedding 23," +
        "Round 11,STFT 17,Scan 8,Scatter 9,ScatterElements 11,ScatterND 11,Selu 1,SequenceAt 11,SequenceConstruct 11,SequenceEmpty 11," +
        "SequenceErase 11,SequenceInsert 11,SequenceLength 11,SequenceMap 17,Shape 1,Shrink 9,Sigmoid 1,Sign 9,Sin 7,Sinh 9,Size 1," +
        "Slice 1,Softmax 1,SoftmaxCrossEntropyLoss 12,Softplus 1,Softsign 1,SpaceToDepth 1,Split 1,SplitToSequence 11,Sqrt 1," +
        "Squeeze 1,StringConcat 20,StringNormalizer 10,StringSplit 20,Sub 1,Sum 1,Tan 7,Tanh 1,TfIdfVectorizer 9,ThresholdedRelu 10," +
        "Tile 1,TopK 1,Transpose 1,Trilu 14,Unique 11,Unsqueeze 1,Upsample 7,Where 9,Xor 1");

    private static readonly HashSet<string> MlOps = new(StringComparer.Ordinal)
    {
        "ArrayFeatureExtractor", "Binarizer", "CastMap", "CategoryMapper", "DictVectorizer", "FeatureVectorizer", "Imputer",
        "LabelEncoder", "LinearClassifier", "LinearRegressor", "Normalizer", "OneHotEncoder", "SVMClassifier", "SVMRegressor",
        "Scaler", "TreeEnsemble", "TreeEnsembleClassifier", "TreeEnsembleRegressor", "ZipMap",
    };

    private static readonly HashSet<string> TrainingOps = new(StringComparer.Ordinal) { "Adagrad", "Adam", "Gradient", "Momentum" };

    /// <summary>Registers a custom op as known (for validation and inspect). Thread-safe.</summary>
    public static void RegisterCustomOp(string domain, string opType)
    {
        ArgumentException.ThrowIfNullOrEmpty(domain);
        ArgumentException.ThrowIfNullOrEmpty(opType);
        lock (Gate)
        {
            Custom.Add((domain, opType));
        }
    }

    /// <summary>True for a registered custom op.</summary>
    public static bool IsCustomOp(string domain, string opType)
    {
        lock (Gate)
        {
            return Custom.Contains((GraphNode.NormalizeDomain(domain), opType));
        }
    }

    /// <summary>True when the op exists in its domain (default ONNX, ai.onnx.ml, training preview, or registered custom).</summary>
    public static bool IsKnown(string domain, string opType)
    {
        domain = GraphNode.NormalizeDomain(domain);
        return domain switch
        {
            "" => OnnxOps.ContainsKey(opType),
            "ai.onnx.ml" => MlOps.Contains(opType),
            "ai.onnx.preview.training" => TrainingOps.Contains(opType),
            _ => IsCustomOp(domain, opType),
        };
    }

    /// <summary>The default-domain opset version that introduced <paramref name="opType"/>; null for unknown ops.</summary>
    public static int? SinceVersion(string opType) => OnnxOps.TryGetValue(opType, out var v) ? v : null;

    private static Dictionary<string, int> Parse(string table)
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in table.Split(','))
        {
            var parts = entry.Split(' ');
            map[parts[0]] = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        }

        return map;
    }
}
