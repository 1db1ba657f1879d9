using System.Runtime.CompilerServices;

// The interop tests call the generated bindings and check the generated struct layouts directly.
[assembly: InternalsVisibleTo("SuperRes.Deploy.Interop.Tests")]
