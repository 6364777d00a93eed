package io.fedtune.aggregator.aggregation;

import java.util.List;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Linear algebra of the low-rank LoRA modes on one module, in double precision with EJML.
 *
 * <p>A {@link Part} is a product c·B·A (B out × r, A r × in). {@link #stack} concatenates parts so that the stacked
 * B·A equals Σ cᵢ·BᵢAᵢ exactly, for any mix of ranks (FLoRA, arXiv 2409.05976). {@link #refactorise} returns the best
 * rank-k approximation of that sum (Eckart–Young) without forming the out × in product: thin QR of the stacked B and
 * of the stacked Aᵀ reduce it to an R × R SVD, R = Σrᵢ (FlexLoRA, arXiv 2402.11505). {@link #padAverage} is HetLoRA's
 * zero-padded average of factors (arXiv 2401.06432).
 */
public final class LowRank {

    private LowRank() {}

    /**
     * A term c·B·A.
     *
     * @param b row-major out × rank
     * @param a row-major rank × in
     * @param rank r
     * @param coefficient c
     */
    public record Part(float[] b, float[] a, int rank, double coefficient) {}

    /**
     * Factors of a module's adapter at one rank: s·B·A is its ΔW for the scale s they were made for.
     *
     * @param b row-major out × rank
     * @param a row-major rank × in
     * @param rank r
     */
    public record Factors(float[] b, float[] a, int rank) {}

    /**
     * Stacks parts into one rank-Σrᵢ adapter whose product at scale {@code scale} is Σ cᵢ·BᵢAᵢ: B = [B₁ … Bₙ],
     * A = [c₁/s·A₁; …; cₙ/s·Aₙ].
     */
    public static Factors stack(List<Part> parts, int out, int in, double scale) {
        int total = parts.stream().mapToInt(Part::rank).sum();
        float[] b = new float[out * total];
        float[] a = new float[total * in];
        int offset = 0;
        for (Part part : parts) {
            int r = part.rank();
            float factor = (float) (part.coefficient() / scale);
            for (int row = 0; row < out; row++) {
                System.arraycopy(part.b(), row * r, b, row * total + offset, r);
            }
            for (int k = 0; k < r; k++) {
                for (int col = 0; col < in; col++) {
                    a[(offset + k) * in + col] = factor * part.a()[k * in + col];
                }
            }
            offset += r;
        }
        return new Factors(b, a, total);
    }

    /**
     * The best rank-{@code rank} factors (at scale {@code scale}) of Σ cᵢ·BᵢAᵢ; balanced (B and A carry √σ each),
     * zero-padded when the sum has lower rank.
     */
    public static Factors refactorise(List<Part> parts, int out, int in, int rank, double scale) {
        Factors stacked = stack(parts, out, in, 1.0);
        int total = stacked.rank();
        DMatrixRMaj bs = toMatrix(stacked.b(), out, total);
        DMatrixRMaj as = toMatrix(stacked.a(), total, in);
        DMatrixRMaj left;
        DMatrixRMaj core;
        DMatrixRMaj right; // in × m, so the sum is left · core · rightᵀ
        if (total < out && total < in) {
            QRDecomposition<DMatrixRMaj> qrB = DecompositionFactory_DDRM.qr(out, total);
            qrB.decompose(bs.copy());
            DMatrixRMaj q1 = qrB.getQ(null, true);
            DMatrixRMaj r1 = qrB.getR(null, true);
            DMatrixRMaj at = new DMatrixRMaj(in, total);
            CommonOps_DDRM.transpose(as, at);
            QRDecomposition<DMatrixRMaj> qrA = DecompositionFactory_DDRM.qr(in, total);
            qrA.decompose(at);
            DMatrixRMaj q2 = qrA.getQ(null, true);
            DMatrixRMaj r2 = qrA.getR(null, true);
            core = new DMatrixRMaj(total, total);
            CommonOps_DDRM.multTransB(r1, r2, core);
            left = q1;
            right = q2;
        } else {
            core = new DMatrixRMaj(out, in);
            CommonOps_DDRM.mult(bs, as, core);
            left = null;
            right = null;
        }
        SingularValueDecomposition_F64<DMatrixRMaj> svd =
                DecompositionFactory_DDRM.svd(core.numRows, core.numCols, true, true, true);
        if (!svd.decompose(core.copy())) {
            throw new IllegalStateException("SVD did not converge");
        }
        DMatrixRMaj u = svd.getU(null, false);
        DMatrixRMaj w = svd.getW(null);
        DMatrixRMaj v = svd.getV(null, false);
        SingularOps_DDRM.descendingOrder(u, false, w, v, false);
        int keep = Math.min(rank, Math.min(w.numRows, w.numCols));
        DMatrixRMaj uk = CommonOps_DDRM.extract(u, 0, u.numRows, 0, keep);
        DMatrixRMaj vk = CommonOps_DDRM.extract(v, 0, v.numRows, 0, keep);
        for (int k = 0; k < keep; k++) {
            double root = Math.sqrt(Math.max(0, w.get(k, k)) / scale);
            for (int row = 0; row < uk.numRows; row++) {
                uk.set(row, k, uk.get(row, k) * root);
            }
            for (int row = 0; row < vk.numRows; row++) {
                vk.set(row, k, vk.get(row, k) * root);
            }
        }
        DMatrixRMaj bOut = left == null ? uk : mult(left, uk);
        DMatrixRMaj aOutT = right == null ? vk : mult(right, vk); // in × keep
        float[] b = new float[out * rank];
        float[] a = new float[rank * in];
        for (int row = 0; row < out; row++) {
            for (int k = 0; k < keep; k++) {
                b[row * rank + k] = (float) bOut.get(row, k);
            }
        }
        for (int k = 0; k < keep; k++) {
            for (int col = 0; col < in; col++) {
                a[k * in + col] = (float) aOutT.get(col, k);
            }
        }
        return new Factors(b, a, rank);
    }

    /** Σ wᵢ·pad(Bᵢ) and Σ wᵢ·pad(Aᵢ) at rank {@code rank}, each client's factors zero-padded (or cut) to it. */
    public static Factors padAverage(List<Part> parts, int out, int in, int rank) {
        float[] b = new float[out * rank];
        float[] a = new float[rank * in];
        for (Part part : parts) {
            int r = Math.min(part.rank(), rank);
            float c = (float) part.coefficient();
            for (int row = 0; row < out; row++) {
                for (int k = 0; k < r; k++) {
                    b[row * rank + k] += c * part.b()[row * part.rank() + k];
                }
            }
            for (int k = 0; k < r; k++) {
                for (int col = 0; col < in; col++) {
                    a[k * in + col] += c * part.a()[k * in + col];
                }
            }
        }
        return new Factors(b, a, rank);
    }

    /** The dense product c·B·A, row-major out × in (for tests and small checks). */
    public static double[] product(float[] b, float[] a, int out, int rank, int in, double c) {
        double[] p = new double[out * in];
        for (int row = 0; row < out; row++) {
            for (int k = 0; k < rank; k++) {
                double bk = c * b[row * rank + k];
                if (bk == 0) {
                    continue;
                }
                for (int col = 0; col < in; col++) {
                    p[row * in + col] += bk * a[k * in + col];
                }
            }
        }
        return p;
    }

    private static DMatrixRMaj toMatrix(float[] values, int rows, int cols) {
        DMatrixRMaj m = new DMatrixRMaj(rows, cols);
        for (int i = 0; i < values.length; i++) {
            m.data[i] = values[i];
        }
        return m;
    }

    private static DMatrixRMaj mult(DMatrixRMaj x, DMatrixRMaj y) {
        DMatrixRMaj result = new DMatrixRMaj(x.numRows, y.numCols);
        CommonOps_DDRM.mult(x, y, result);
        return result;
    }
}
