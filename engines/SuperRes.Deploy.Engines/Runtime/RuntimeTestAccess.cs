using System.Runtime.CompilerServices;

// The tests reach OrtRunner.Translate, the one place ORT failures become DeployExceptions, to check the mapping of a
// missing runtime (which cannot be staged in a process that has already loaded ONNX Runtime).
[assembly: InternalsVisibleTo("SuperRes.Deploy.Engines.Tests")]
