#pragma once
// Eigen aliases shared by the core. Row-major everywhere so that numpy's default (C) layout maps
// onto these types without copies.
#include <Eigen/Dense>
#include <cstdint>

namespace condgen {

template <class T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;

template <class T>
using MatrixRef = Eigen::Ref<RowMatrix<T>>;
template <class T>
using ConstMatrixRef = Eigen::Ref<const RowMatrix<T>>;
template <class T>
using VectorRef = Eigen::Ref<Vector<T>>;
template <class T>
using ConstVectorRef = Eigen::Ref<const Vector<T>>;

using Index = Eigen::Index;

}  // namespace condgen
