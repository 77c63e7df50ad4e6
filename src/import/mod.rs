//! `orchsim import`: a CloudFormation or SAM template turned into scenario text.

pub mod intrinsics;
pub mod template;
