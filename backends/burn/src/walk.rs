//! Walking the float parameters of any burn module with their paths.
//!
//! burn's [`ModuleVisitor`] and [`ModuleMapper`] report `enter_module(name, container_type)`
//! before every field; [`Walker`] and [`MapWalker`] keep that stack so each float parameter is
//! seen with its path (`"fc1.weight"`) and the type of the module that owns it (`"Linear"`).

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::Tensor;

/// Where a float parameter sits in a module tree.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ParamSite {
    /// The parameter's path, e.g. `"encoder.0.weight"`; burn's record and `ParamGroup` key.
    pub path: String,
    /// The path of the module that owns the parameter, e.g. `"encoder.0"`.
    pub module: String,
    /// The type of the container that holds the parameter, as burn's derive names it, e.g.
    /// `"Linear"`, `"Conv2d"`, `"BatchNorm"`, or the user's struct for a parameter that is
    /// its direct field (`Struct:`/`Enum:` prefixes removed). Empty only when burn reports
    /// no container (a bare `Param` walked on its own).
    pub module_type: String,
    /// The field name, e.g. `"weight"`, `"bias"`, `"gamma"`, `"running_mean"`.
    pub name: String,
}

impl ParamSite {
    fn from_stack(stack: &[(String, String)]) -> Self {
        let names: Vec<&str> = stack.iter().map(|(n, _)| n.as_str()).collect();
        let (name, module) = match names.split_last() {
            Some((name, module)) => (name.to_string(), module.join(".")),
            None => (String::new(), String::new()),
        };
        let container = stack.last().map_or("", |(_, c)| c.as_str());
        let module_type = container
            .strip_prefix("Struct:")
            .or_else(|| container.strip_prefix("Enum:"))
            .unwrap_or(container)
            .to_string();
        Self {
            path: names.join("."),
            module,
            module_type,
            name,
        }
    }

    /// Whether this is a running statistic (burn's `RunningState`, named `running_*` as in
    /// `BatchNorm`): state the forward pass updates, not a parameter the optimizer trains.
    pub fn is_running_statistic(&self) -> bool {
        self.name.starts_with("running_")
    }
}

/// Something done to every float parameter, seen with its site.
pub(crate) trait VisitFloat {
    fn visit<const D: usize>(&mut self, site: &ParamSite, param: &Param<Tensor<D>>);
}

/// Something done to every float parameter, returning the replacement.
pub(crate) trait MapFloat {
    fn map<const D: usize>(
        &mut self,
        site: &ParamSite,
        param: Param<Tensor<D>>,
    ) -> Param<Tensor<D>>;
}

/// A [`ModuleVisitor`] that hands every float parameter and its site to `V`.
pub(crate) struct Walker<V> {
    stack: Vec<(String, String)>,
    pub(crate) inner: V,
}

impl<V: VisitFloat> Walker<V> {
    /// Visits every float parameter of `module` with `inner` and returns `inner`.
    pub(crate) fn run<M: Module>(module: &M, inner: V) -> V {
        let mut walker = Self {
            stack: Vec::new(),
            inner,
        };
        module.visit(&mut walker);
        walker.inner
    }
}

impl<V: VisitFloat> ModuleVisitor for Walker<V> {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.stack.push((name.into(), container_type.into()));
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.stack.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let site = ParamSite::from_stack(&self.stack);
        self.inner.visit(&site, param);
    }
}

/// A [`ModuleMapper`] that hands every float parameter and its site to `V`.
pub(crate) struct MapWalker<V> {
    stack: Vec<(String, String)>,
    pub(crate) inner: V,
}

impl<V: MapFloat> MapWalker<V> {
    /// Maps every float parameter of `module` with `inner`; returns the module and `inner`.
    pub(crate) fn run<M: Module>(module: M, inner: V) -> (M, V) {
        let mut walker = Self {
            stack: Vec::new(),
            inner,
        };
        let module = module.map(&mut walker);
        (module, walker.inner)
    }
}

impl<V: MapFloat> ModuleMapper for MapWalker<V> {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.stack.push((name.into(), container_type.into()));
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.stack.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let site = ParamSite::from_stack(&self.stack);
        self.inner.map(&site, param)
    }
}

#[cfg(test)]
mod tests {
    use burn::module::{Module, Param};
    use burn::nn::{Linear, LinearConfig};
    use burn::tensor::{Device, Tensor};

    use super::*;

    #[derive(Module, Debug)]
    struct Net {
        scale: Param<Tensor<1>>,
        fc: Linear,
    }

    struct Sites(Vec<ParamSite>);

    impl VisitFloat for Sites {
        fn visit<const D: usize>(&mut self, site: &ParamSite, _param: &Param<Tensor<D>>) {
            self.0.push(site.clone());
        }
    }

    #[test]
    fn module_type_is_the_containing_struct_and_empty_only_without_one() {
        let device = Device::flex();
        let net = Net {
            scale: Param::from_tensor(Tensor::ones([3], &device)),
            fc: LinearConfig::new(3, 2).init(&device),
        };
        let sites = Walker::run(&net, Sites(Vec::new())).0;
        let found: Vec<(&str, &str, &str, &str)> = sites
            .iter()
            .map(|s| {
                let (path, module) = (s.path.as_str(), s.module.as_str());
                (path, module, s.module_type.as_str(), s.name.as_str())
            })
            .collect();
        assert_eq!(
            found,
            [
                ("scale", "", "Net", "scale"),
                ("fc.weight", "fc", "Linear", "weight"),
                ("fc.bias", "fc", "Linear", "bias"),
            ]
        );
        // A parameter walked on its own has no container.
        let bare = Walker::run(&net.scale, Sites(Vec::new())).0;
        assert_eq!(bare[0].module_type, "");
        assert_eq!(bare[0].path, "");
    }
}
