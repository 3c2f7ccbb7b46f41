pub mod hep;
