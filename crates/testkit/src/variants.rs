//! One suite, several variants (the job store's two backends, the server's two deployments).

/// Generates, for each listed test function `async fn name(arg)` of the calling module, one
/// test per variant, `<variant>::name`, which calls it with that variant's argument:
///
/// `testkit::test_each!([#[tokio::test]] { embedded => Kind::Embedded, fleet => Kind::Fleet } [a, b]);`
///
/// The attributes come first, in brackets, because they go on every generated test. A suite
/// function left out of the list is never called, which the compiler reports as dead code.
#[macro_export]
macro_rules! test_each {
    ($attrs:tt { $($variant:ident => $arg:expr),+ $(,)? } $names:tt) => {
        $( $crate::test_each!(@variant $attrs $variant ($arg) $names); )+
    };
    (@variant $attrs:tt $variant:ident ($arg:expr) [$($name:ident),* $(,)?]) => {
        mod $variant {
            $( $crate::test_each!(@test $attrs $name ($arg)); )*
        }
    };
    (@test [$($attr:tt)*] $name:ident ($arg:expr)) => {
        $($attr)* async fn $name() { super::$name($arg).await }
    };
}
